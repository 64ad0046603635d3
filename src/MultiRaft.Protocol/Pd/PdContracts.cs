using MessagePack;
using MultiRaft.Protocol.Metadata;

namespace MultiRaft.Protocol.Pd;

[MessagePackObject]
public sealed record GetClusterRequest;

/// <summary>The cluster id (a fresh client connects with the discovery id and learns it here), whether the
/// first region exists yet, how many replicas a region gets, and where PD's HTTP API is (null: none), so the
/// ops tool needs only PD's RPC address.</summary>
[MessagePackObject]
public sealed record GetClusterResponse(
    [property: Key(0)] ulong ClusterId,
    [property: Key(1)] bool Bootstrapped,
    [property: Key(2)] int MaxReplicas,
    [property: Key(3)] string? HttpAddress = null);

/// <summary>Registers a store (<see cref="StoreId"/> 0: a new store, PD allocates the id) or updates the
/// address of a known one. A tombstoned store id is refused.</summary>
[MessagePackObject]
public sealed record PutStoreRequest(
    [property: Key(0)] ulong StoreId,
    [property: Key(1)] string Address,
    [property: Key(2)] string? StatusAddress);

[MessagePackObject]
public sealed record PutStoreResponse([property: Key(0)] ulong StoreId);

[MessagePackObject]
public sealed record GetStoreRequest([property: Key(0)] ulong StoreId);

/// <summary>The store, or null when PD does not know it.</summary>
[MessagePackObject]
public sealed record GetStoreResponse([property: Key(0)] StoreInfo? Store);

[MessagePackObject]
public sealed record GetAllStoresRequest;

[MessagePackObject]
public sealed record GetAllStoresResponse([property: Key(0)] StoreInfo[] Stores);

/// <summary>Allocates <see cref="Count"/> consecutive ids (regions, peers, stores share one space).</summary>
[MessagePackObject]
public sealed record AllocIdRequest([property: Key(0)] int Count);

/// <summary>The first of the allocated ids; the rest follow it.</summary>
[MessagePackObject]
public sealed record AllocIdResponse([property: Key(0)] ulong FirstId);

/// <summary>Asks for <see cref="Count"/> timestamps.</summary>
[MessagePackObject]
public sealed record TsoRequest([property: Key(0)] int Count);

/// <summary>The last of <c>Count</c> consecutive timestamps, strictly above every timestamp handed out before,
/// across PD restarts. A timestamp is physical milliseconds &lt;&lt; 18 | logical.</summary>
[MessagePackObject]
public sealed record TsoResponse([property: Key(0)] ulong Timestamp);

/// <summary>A store with no regions asks whether it hosts a peer of the cluster's first region.</summary>
[MessagePackObject]
public sealed record GetBootstrapRegionRequest([property: Key(0)] ulong StoreId);

/// <summary>The first region when the store is one of its replicas and the cluster is bootstrapped; null while
/// PD waits for enough stores to register, or when the store is not in it.</summary>
[MessagePackObject]
public sealed record GetBootstrapRegionResponse([property: Key(0)] RegionInfo? Region);

/// <summary>A store's periodic report.</summary>
[MessagePackObject]
public sealed record StoreHeartbeatRequest(
    [property: Key(0)] ulong StoreId,
    [property: Key(1)] StoreStats Stats);

[MessagePackObject]
public sealed record StoreStats(
    [property: Key(0)] long CapacityBytes,
    [property: Key(1)] long AvailableBytes,
    [property: Key(2)] long UsedBytes,
    [property: Key(3)] int RegionCount,
    [property: Key(4)] int LeaderCount,
    [property: Key(5)] long WriteBytesPerSec,
    [property: Key(6)] long WriteKeysPerSec,
    [property: Key(7)] long ReadBytesPerSec,
    [property: Key(8)] long ReadKeysPerSec);

[MessagePackObject]
public sealed record StoreHeartbeatResponse([property: Key(0)] ulong ClusterId);

/// <summary>A region leader's report: its leader, peers that are down (no answer for a while) or pending
/// (behind), its size and load, and (optionally) up to 32 keys sampled from recent requests, in any order, from
/// which PD picks a load-based split key. The region's metadata (<see cref="Region"/>: range, epoch, peers)
/// travels only when PD has not acknowledged it yet: after a change, a new leader, or PD's
/// <see cref="RegionHeartbeatResponse.NeedFullRegion"/>. Without it, <see cref="RegionId"/> and
/// <see cref="Epoch"/> say which region PD must already hold; when it is present, it is what counts (so a
/// report from a store that predates the two fields still reads right).</summary>
[MessagePackObject]
public sealed record RegionHeartbeatRequest(
    [property: Key(0)] RegionInfo? Region,
    [property: Key(1)] PeerInfo Leader,
    [property: Key(2)] ulong Term,
    [property: Key(3)] ulong[] DownPeers,
    [property: Key(4)] ulong[] PendingPeers,
    [property: Key(5)] RegionStats Stats,
    [property: Key(6)] byte[][]? SampledKeys = null,
    [property: Key(7)] ulong RegionId = 0,
    [property: Key(8)] EpochInfo Epoch = default);

[MessagePackObject]
public sealed record RegionStats(
    [property: Key(0)] ulong ApproximateBytes,
    [property: Key(1)] ulong ApproximateKeys,
    [property: Key(2)] long WriteBytesPerSec,
    [property: Key(3)] long WriteKeysPerSec,
    [property: Key(4)] long ReadBytesPerSec,
    [property: Key(5)] long ReadKeysPerSec);

/// <summary>PD's answer: the next operator step for this region, if any; or, for a heartbeat without the
/// region's metadata that PD cannot place (it does not know the region, or holds another epoch of it), a
/// request to send the whole region (the heartbeat changed nothing).</summary>
[MessagePackObject]
public sealed record RegionHeartbeatResponse(
    [property: Key(0)] OperatorStep? Step,
    [property: Key(1)] bool NeedFullRegion = false);

/// <summary>One step a leader carries out for PD. Exactly one of the fields is set.</summary>
[MessagePackObject]
public sealed record OperatorStep(
    [property: Key(0)] ulong RegionId,
    [property: Key(1)] EpochInfo Epoch,
    [property: Key(2)] ulong? TransferLeaderToPeer,
    [property: Key(3)] PeerInfo? AddLearner,
    [property: Key(4)] PeerInfo? PromoteLearner,
    [property: Key(5)] PeerInfo? RemovePeer,
    [property: Key(6)] SplitStep? Split,
    [property: Key(7)] SwapVoterStep? SwapVoter = null);

/// <summary>Make learner <see cref="Learner"/> a voter and voter <see cref="Demoted"/> a learner in one
/// joint-consensus change.</summary>
[MessagePackObject]
public sealed record SwapVoterStep(
    [property: Key(0)] PeerInfo Learner,
    [property: Key(1)] PeerInfo Demoted);

/// <summary>Split at <see cref="SplitKeys"/> (empty: the store picks the middle key), creating regions with
/// the given ids; <see cref="NewPeerIds"/>[i] are the peer ids of the i-th new region, in peer order.</summary>
[MessagePackObject]
public sealed record SplitStep(
    [property: Key(0)] byte[][] SplitKeys,
    [property: Key(1)] ulong[] NewRegionIds,
    [property: Key(2)] ulong[][] NewPeerIds);

[MessagePackObject]
public sealed record GetRegionRequest([property: Key(0)] byte[] Key);

[MessagePackObject]
public sealed record GetRegionByIdRequest([property: Key(0)] ulong RegionId);

/// <summary>The region and its leader as last reported; null region when none covers the key or id.</summary>
[MessagePackObject]
public sealed record GetRegionResponse(
    [property: Key(0)] RegionInfo? Region,
    [property: Key(1)] PeerInfo? Leader);

/// <summary>Regions overlapping <c>[StartKey, EndKey)</c> (empty end = +inf), in key order, at most
/// <see cref="Limit"/>.</summary>
[MessagePackObject]
public sealed record ScanRegionsRequest(
    [property: Key(0)] byte[] StartKey,
    [property: Key(1)] byte[] EndKey,
    [property: Key(2)] int Limit);

[MessagePackObject]
public sealed record ScanRegionsResponse([property: Key(0)] GetRegionResponse[] Regions);

/// <summary>A leader that applied a split reports the resulting regions at once, so routing never waits for
/// the next heartbeat.</summary>
[MessagePackObject]
public sealed record ReportSplitRequest([property: Key(0)] RegionInfo[] Regions);

[MessagePackObject]
public sealed record ReportSplitResponse;

/// <summary>A store asks for the operator steps due on regions it leads, between heartbeats.</summary>
[MessagePackObject]
public sealed record PendingOperatorsRequest([property: Key(0)] ulong StoreId);

[MessagePackObject]
public sealed record PendingOperatorsResponse([property: Key(0)] OperatorStep[] Steps);

[MessagePackObject]
public sealed record GetGcSafePointRequest;

/// <summary>Asks PD to move the cluster's GC safe point up to <see cref="SafePoint"/>. PD never moves it
/// backwards, nor above the lowest live service safe point (a running transaction's start timestamp).</summary>
[MessagePackObject]
public sealed record UpdateGcSafePointRequest([property: Key(0)] ulong SafePoint);

/// <summary>The cluster's GC safe point: versions that no read at or above it can see may be dropped.</summary>
[MessagePackObject]
public sealed record GcSafePointResponse([property: Key(0)] ulong SafePoint);

/// <summary>A service (a transaction client) asks PD to keep GC at or below <see cref="SafePoint"/> for
/// <see cref="TtlSeconds"/>; a TTL of 0 withdraws the service's safe point.</summary>
[MessagePackObject]
public sealed record UpdateServiceSafePointRequest(
    [property: Key(0)] string ServiceId,
    [property: Key(1)] ulong SafePoint,
    [property: Key(2)] long TtlSeconds);

/// <summary><see cref="Accepted"/> is false when the asked safe point is already below the GC safe point
/// (those versions may be gone); <see cref="GcSafePoint"/> says where it is.</summary>
[MessagePackObject]
public sealed record UpdateServiceSafePointResponse(
    [property: Key(0)] bool Accepted,
    [property: Key(1)] ulong GcSafePoint);

