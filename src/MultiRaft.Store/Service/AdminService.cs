using MultiRaft.Protocol.Admin;
using MultiRaft.Protocol.Kv;
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
internal sealed class AdminService(StoreOptions options, PeerRegistry peers, PdClient pd)
{
    private readonly RequestChecks _checks = new(options, peers);

    public void AddHandlers(IDictionary<string, RpcHandler> handlers)
    {
        handlers[AdminMethods.Split] = KvService.Handler<SplitRequest, SplitResponse>(SplitAsync);
        handlers[AdminMethods.TransferLeader] = KvService.Handler<TransferLeaderRequest, AdminResponse>(TransferLeaderAsync);
    }

    private async Task<SplitResponse> SplitAsync(SplitRequest request, CancellationToken cancellation)
    {
        var error = _checks.Region(request.Context, out var peer) ?? RequestChecks.Leader(peer);
        if (error is null && request.SplitKeys?.Length > 64)
        {
            error = RegionError.InvalidArgument($"at most 64 split keys at once, not {request.SplitKeys.Length}");
        }
        error ??= SplitPlanner.CheckKeys(peer.Region, request.SplitKeys);
        if (error is not null)
        {
            return new SplitResponse(error, []);
        }
        var keys = request.SplitKeys!;
        var peerCount = peer.Region.Peers.Count;
        var next = await pd.AllocIdAsync(keys.Length * (1 + peerCount), cancellation).ConfigureAwait(false);
        var regionIds = new ulong[keys.Length];
        var peerIds = new ulong[keys.Length][];
        for (var i = 0; i < keys.Length; i++)
        {
            regionIds[i] = next++;
            peerIds[i] = new ulong[peerCount];
            for (var p = 0; p < peerCount; p++)
            {
                peerIds[i][p] = next++;
            }
        }
        var result = await KvService.ProposeAsync(_checks, peer, new RaftCommand(peer.RegionId, request.Context.Epoch, [], new SplitCommand(keys, regionIds, peerIds)), cancellation).ConfigureAwait(false);
        return new SplitResponse(result.Error, result.Regions ?? []);
    }

    private Task<AdminResponse> TransferLeaderAsync(TransferLeaderRequest request, CancellationToken cancellation)
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
