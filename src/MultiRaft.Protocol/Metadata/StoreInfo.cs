using MessagePack;

namespace MultiRaft.Protocol.Metadata;

/// <summary>A store as PD knows it: where it serves (one port carries Raft traffic and client RPC), where its
/// status endpoint is, and its state.</summary>
[MessagePackObject]
public sealed record StoreInfo(
    [property: Key(0)] ulong Id,
    [property: Key(1)] string Address,
    [property: Key(2)] string? StatusAddress,
    [property: Key(3)] StoreState State,
    [property: Key(4)] long LastHeartbeatUnixMs);

public enum StoreState : byte
{
    Up = 0,
    Disconnected = 1,
    Down = 2,
    Tombstone = 3,
}
