namespace MultiRaft.Storage.Kv;

/// <summary>Whether a peer votes; learners receive the log but count toward no quorum.</summary>
public enum PeerRole : byte
{
    Voter = 0,
    Learner = 1,
}

/// <summary>One replica of a region: its peer id, the store that hosts it, and its role.</summary>
public readonly record struct RegionPeer(ulong Id, ulong StoreId, PeerRole Role);
