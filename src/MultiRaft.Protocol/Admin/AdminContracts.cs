using MessagePack;
using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Metadata;

namespace MultiRaft.Protocol.Admin;

/// <summary>The RPC methods a store serves for operators (PD's steps and the ops tool).</summary>
public static class AdminMethods
{
    /// <summary><see cref="SplitRequest"/> → <see cref="SplitResponse"/>.</summary>
    public const string Split = "admin.split";

    /// <summary><see cref="TransferLeaderRequest"/> → <see cref="AdminResponse"/>.</summary>
    public const string TransferLeader = "admin.transfer_leader";
}

/// <summary>Splits the region at <see cref="SplitKeys"/> (ascending, inside the region, none equal to its
/// start). The region keeps the range before the first key; each key starts a new region.</summary>
[MessagePackObject]
public sealed record SplitRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] byte[][] SplitKeys);

/// <summary>The regions after the split, in key order (the original first).</summary>
[MessagePackObject]
public sealed record SplitResponse(
    [property: Key(0)] RegionError? Error,
    [property: Key(1)] RegionInfo[] Regions);

/// <summary>Asks the leader to hand leadership to <see cref="ToPeer"/>.</summary>
[MessagePackObject]
public sealed record TransferLeaderRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] ulong ToPeer);

[MessagePackObject]
public sealed record AdminResponse([property: Key(0)] RegionError? Error);
