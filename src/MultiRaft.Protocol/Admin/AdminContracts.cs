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

    /// <summary><see cref="ChangePeerRequest"/> → <see cref="ChangePeerResponse"/>.</summary>
    public const string ChangePeer = "admin.change_peer";
}

/// <summary>One membership step, in the order a replica moves: add a learner (it catches up by snapshot),
/// promote it to voter, remove a peer (the leader too: it hands leadership over first). Or, instead of the
/// promotion, swap it in: the learner becomes a voter and a voter becomes a learner in one joint-consensus
/// change, so the region never has an even number of voters; the demoted learner is removed afterwards.</summary>
public enum PeerChangeKind : byte
{
    AddLearner = 1,
    PromoteLearner = 2,
    RemovePeer = 3,
    SwapVoter = 4,
}

/// <summary>Adds a learner on <see cref="StoreId"/> (<see cref="PeerId"/> 0: the store asks PD for one), or
/// promotes / removes the peer <see cref="PeerId"/>; a swap promotes learner <see cref="PeerId"/> and demotes
/// voter <see cref="DemotedPeerId"/> (not the leader) to learner.</summary>
[MessagePackObject]
public sealed record ChangePeerRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] PeerChangeKind Kind,
    [property: Key(2)] ulong StoreId,
    [property: Key(3)] ulong PeerId,
    [property: Key(4)] ulong DemotedPeerId = 0);

/// <summary>The region after the change was applied.</summary>
[MessagePackObject]
public sealed record ChangePeerResponse(
    [property: Key(0)] RegionError? Error,
    [property: Key(1)] RegionInfo? Region);

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
