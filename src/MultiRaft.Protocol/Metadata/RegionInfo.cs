using MessagePack;

namespace MultiRaft.Protocol.Metadata;

/// <summary>A region as it crosses processes: its key range <c>[StartKey, EndKey)</c> (empty end = +inf),
/// its epoch and its peers.</summary>
[MessagePackObject]
public sealed record RegionInfo(
    [property: Key(0)] ulong Id,
    [property: Key(1)] byte[] StartKey,
    [property: Key(2)] byte[] EndKey,
    [property: Key(3)] EpochInfo Epoch,
    [property: Key(4)] PeerInfo[] Peers)
{
    public bool Contains(ReadOnlySpan<byte> key) =>
        key.SequenceCompareTo(StartKey) >= 0 && (EndKey.Length == 0 || key.SequenceCompareTo(EndKey) < 0);

    public PeerInfo? PeerOnStore(ulong storeId)
    {
        foreach (var peer in Peers)
        {
            if (peer.StoreId == storeId)
            {
                return peer;
            }
        }
        return null;
    }

    public PeerInfo? PeerById(ulong peerId)
    {
        foreach (var peer in Peers)
        {
            if (peer.Id == peerId)
            {
                return peer;
            }
        }
        return null;
    }

    public bool Equals(RegionInfo? other) =>
        other is not null && Id == other.Id && Epoch == other.Epoch && StartKey.AsSpan().SequenceEqual(other.StartKey)
        && EndKey.AsSpan().SequenceEqual(other.EndKey) && Peers.AsSpan().SequenceEqual(other.Peers);

    public override int GetHashCode() => HashCode.Combine(Id, Epoch, Peers.Length);
}

/// <summary><c>ConfVersion</c> grows with every membership change, <c>Version</c> with every split or merge.</summary>
[MessagePackObject]
public readonly record struct EpochInfo(
    [property: Key(0)] ulong ConfVersion,
    [property: Key(1)] ulong Version)
{
    /// <summary>True when this epoch is older than <paramref name="other"/> in either component.</summary>
    public bool IsStaleComparedTo(EpochInfo other) => ConfVersion < other.ConfVersion || Version < other.Version;
}

/// <summary>One replica of a region: the peer id (its Raft node id), the store that hosts it, and whether it
/// votes.</summary>
[MessagePackObject]
public readonly record struct PeerInfo(
    [property: Key(0)] ulong Id,
    [property: Key(1)] ulong StoreId,
    [property: Key(2)] bool IsLearner);
