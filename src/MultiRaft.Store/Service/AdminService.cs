using MultiRaft.Protocol.Admin;
using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Store.Apply;
using MultiRaft.Store.Commands;
using MultiRaft.Store.Peers;
using MultiRaft.Store.Regions;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Store.Service;

/// <summary>
/// Operator commands on a region this store leads: split (ids from PD, carried out through Raft so every
/// replica splits at the same index) and leader transfer.
/// </summary>
internal sealed class AdminService(StoreOptions options, PeerRegistry peers, PdClient pd, Storage.Kv.KvEngine kv)
{
    private readonly RequestChecks _checks = new(options, peers);
    private int _pendingSplits;

    public void AddHandlers(IDictionary<string, RpcHandler> handlers)
    {
        handlers[AdminMethods.Split] = KvService.Handler<SplitRequest, SplitResponse>(SplitAsync);
        handlers[AdminMethods.TransferLeader] = KvService.Handler<TransferLeaderRequest, AdminResponse>(TransferLeaderAsync);
        handlers[AdminMethods.ChangePeer] = KvService.Handler<ChangePeerRequest, ChangePeerResponse>(ChangePeerAsync);
    }

    public Task<SplitResponse> SplitAsync(SplitRequest request, CancellationToken cancellation) =>
        SplitAsync(request, null, null, cancellation);

    /// <summary>Splits at the given keys (none: the region's approximate middle key), with ids from PD: the
    /// ones given (a PD operator brings them) or freshly allocated.</summary>
    public async Task<SplitResponse> SplitAsync(SplitRequest request, ulong[]? regionIds, ulong[][]? peerIds, CancellationToken cancellation)
    {
        var error = _checks.Region(request.Context, out var peer) ?? RequestChecks.Leader(peer);
        var keys = request.SplitKeys is { Length: > 0 } given ? given
            : error is null && kv.GetMiddleKey(peer.Region.StartKey, peer.Region.EndKey) is { } middle ? [middle]
            : null;
        if (error is null && keys is null)
        {
            error = RegionError.InvalidArgument($"region {peer.RegionId} has no key to split at");
        }
        if (error is null && keys!.Length > 64)
        {
            error = RegionError.InvalidArgument($"at most 64 split keys at once, not {keys.Length}");
        }
        error ??= SplitPlanner.CheckKeys(peer.Region, keys);
        if (error is not null)
        {
            return new SplitResponse(error, []);
        }
        if (Interlocked.Increment(ref _pendingSplits) > options.MaxPendingSplits)
        {
            Interlocked.Decrement(ref _pendingSplits);
            return new SplitResponse(RegionError.ServerIsBusy($"{options.MaxPendingSplits} splits are already in progress on this store"), []);
        }
        try
        {
            if (regionIds is null || peerIds is null)
            {
                (regionIds, peerIds) = await AllocateSplitIdsAsync(keys!.Length, peer.Region.Peers.Count, cancellation).ConfigureAwait(false);
            }
            var command = new RaftCommand(peer.RegionId, request.Context.Epoch, [], new SplitCommand(keys!, regionIds, peerIds));
            var result = await KvService.ProposeAsync(_checks, peer, command, cancellation).ConfigureAwait(false);
            return new SplitResponse(result.Error, result.Regions ?? []);
        }
        finally
        {
            Interlocked.Decrement(ref _pendingSplits);
        }
    }

    private async Task<(ulong[] RegionIds, ulong[][] PeerIds)> AllocateSplitIdsAsync(int regions, int peerCount, CancellationToken cancellation)
    {
        var next = await pd.AllocIdAsync(regions * (1 + peerCount), cancellation).ConfigureAwait(false);
        var regionIds = new ulong[regions];
        var peerIds = new ulong[regions][];
        for (var i = 0; i < regions; i++)
        {
            regionIds[i] = next++;
            peerIds[i] = new ulong[peerCount];
            for (var p = 0; p < peerCount; p++)
            {
                peerIds[i][p] = next++;
            }
        }
        return (regionIds, peerIds);
    }

    /// <summary>One membership step through Raft: a single-voter step directly, a swap through a joint
    /// configuration. A learner is promoted only once it has caught up, so promoting never leaves the group
    /// waiting on a slow voter.</summary>
    public async Task<ChangePeerResponse> ChangePeerAsync(ChangePeerRequest request, CancellationToken cancellation)
    {
        var error = _checks.Region(request.Context, out var peer) ?? RequestChecks.ConfEpoch(request.Context, peer.Region) ?? RequestChecks.Leader(peer);
        var peerId = request.PeerId;
        var storeId = request.StoreId;
        if (error is null && request.Kind != PeerChangeKind.AddLearner)
        {
            storeId = peer.Region.PeerById(peerId)?.StoreId ?? 0;
        }
        error ??= PeerChangePlanner.Check(peer.Region, request.Kind, storeId, peerId, request.DemotedPeerId);
        if (error is null && request.Kind is PeerChangeKind.PromoteLearner or PeerChangeKind.SwapVoter && !CaughtUp(peer, peerId))
        {
            error = RegionError.ServerIsBusy($"learner {peerId} is still catching up; promote it later");
        }
        if (error is null && request.Kind == PeerChangeKind.SwapVoter && request.DemotedPeerId == peer.PeerId)
        {
            error = RegionError.InvalidArgument($"peer {peerId} leads region {peer.RegionId}: transfer leadership before demoting it");
        }
        if (error is not null)
        {
            return new ChangePeerResponse(error, null);
        }
        if (request.Kind == PeerChangeKind.AddLearner && peerId == 0)
        {
            peerId = await pd.AllocIdAsync(1, cancellation).ConfigureAwait(false);
        }
        var demoted = request.Kind == PeerChangeKind.SwapVoter && peer.Region.PeerById(request.DemotedPeerId) is { } voter
            ? new PeerInfo(voter.Id, voter.StoreId, IsLearner: true)
            : (PeerInfo?)null;
        var step = new PeerChange(peer.RegionId, request.Context.Epoch, request.Kind, new PeerInfo(peerId, storeId, request.Kind == PeerChangeKind.AddLearner), demoted);
        var proposal = new Proposal(PeerChangePlanner.ToConfChange(step));
        var result = await KvService.ProposeAsync(_checks, peer, proposal, cancellation).ConfigureAwait(false);
        return new ChangePeerResponse(result.Error, result.Regions?[0]);
    }

    /// <summary>Whether, as the leader last recorded, the learner is caught up (<see cref="PeerHealth.IsCaughtUp"/>).</summary>
    private static bool CaughtUp(Peer peer, ulong learner) => peer.Health.CaughtUp.Contains(learner);

    public Task<AdminResponse> TransferLeaderAsync(TransferLeaderRequest request, CancellationToken cancellation)
    {
        var error = _checks.Region(request.Context, out var peer) ?? RequestChecks.Leader(peer);
        if (error is null && (peer.Region.PeerById(request.ToPeer) is not { Role: Storage.Kv.PeerRole.Voter }))
        {
            error = RegionError.InvalidArgument($"peer {request.ToPeer} is not a voter of region {peer.RegionId}");
        }
        if (error is null && request.ToPeer != peer.PeerId)
        {
            peer.Post(new PeerInput(PeerInputKind.TransferLeader, PeerId: request.ToPeer));
        }
        return Task.FromResult(new AdminResponse(error));
    }
}
