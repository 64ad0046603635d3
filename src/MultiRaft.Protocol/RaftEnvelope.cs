using MessagePack;
using MultiRaft.Raft;

namespace MultiRaft.Protocol;

/// <summary>A Raft message of one region, as it travels between stores (many per frame). A leader attaches
/// <see cref="Region"/> while the target peer has never answered it, so a store that does not host the
/// region yet (a replica being added) can tell a new replica from a stale message. <see cref="Hibernate"/> on a
/// leader's heartbeat says the region is idle and the leader stops ticking: the follower may stop too.</summary>
[MessagePackObject]
public sealed record RaftEnvelope(
    [property: Key(0)] ulong RegionId,
    [property: Key(1)] ulong FromStore,
    [property: Key(2)] ulong ToStore,
    [property: Key(3)] Message Message,
    [property: Key(4)] Metadata.RegionInfo? Region = null,
    [property: Key(5)] bool Hibernate = false);

/// <summary>The payload of one RaftMessages frame: many envelopes, flushed together.</summary>
[MessagePackObject]
public sealed record RaftBatch([property: Key(0)] RaftEnvelope[] Envelopes);

/// <summary>The first frame each side sends: a connection from another cluster, an unexpected store or an
/// incompatible protocol version is refused.</summary>
[MessagePackObject]
public sealed record Handshake(
    [property: Key(0)] int ProtocolVersion,
    [property: Key(1)] ulong ClusterId,
    [property: Key(2)] ulong StoreId)
{
    public const int CurrentVersion = 1;
}
