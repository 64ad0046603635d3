using MultiRaft.Raft;

namespace MultiRaft.Store.Peers;

/// <summary>What other threads hand a peer: only its worker touches the Raft node, so everything else goes
/// through the peer's inbox.</summary>
internal enum PeerInputKind : byte
{
    RaftMessage,
    Propose,
    Read,
    Unreachable,
    SnapshotReport,
    TransferLeader,
    Campaign,
    /// <summary>PD says this replica was removed from its region while it was away.</summary>
    Destroy,
    /// <summary>The shared log's purge cannot free its oldest segment while this region's old entries live
    /// there: compact the log to the applied index now, whatever the thresholds.</summary>
    CompactLog,
}

internal readonly record struct PeerInput(
    PeerInputKind Kind,
    Message? Message = null,
    Proposal? Proposal = null,
    ReadWaiter? Read = null,
    ulong PeerId = 0,
    bool Succeeded = false,
    bool Hibernate = false);
