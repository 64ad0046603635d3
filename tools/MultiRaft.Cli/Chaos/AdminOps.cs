using System.Net;
using System.Text;
using MultiRaft.Protocol;
using MultiRaft.Protocol.Admin;
using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Pd;
using MultiRaft.Transport.Connections;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Cli.Chaos;

/// <summary>
/// The "ops" nemesis: what an operator does to a live cluster — transfer a region's leadership, split a region,
/// or move a replica to another store (add learner, promote once caught up, remove an old follower) — through
/// the stores' admin RPCs, while the workload runs. Failures are reported, not thrown: they are part of the test.
/// Split keys are drawn from <c>splitKey</c>; with <c>aimAtKeys</c> every operation acts on the region holding
/// such a key (and splits there), so that it hits the workload's ranges, otherwise on any region.
/// </summary>
internal sealed class AdminOps(ChaosCluster cluster, Func<Random, string> splitKey, bool aimAtKeys, Random random)
{
    public async Task<string> RunOneAsync(CancellationToken cancellation)
    {
        try
        {
            var regions = await cluster.Pd.ScanRegionsAsync([], [], 10_000, cancellation).ConfigureAwait(false);
            var withLeader = regions.Where(r => r.Region is not null && r.Leader is not null).ToArray();
            if (withLeader.Length == 0)
            {
                return "no region with a known leader";
            }
            var aim = aimAtKeys ? Encoding.UTF8.GetBytes(splitKey(random)) : null;
            var candidates = aim is null ? withLeader : Array.FindAll(withLeader, r => r.Region!.Contains(aim));
            if (candidates.Length == 0)
            {
                return $"no region with a known leader holds {Encoding.UTF8.GetString(aim!)}";
            }
            var pick = candidates[random.Next(candidates.Length)];
            return random.Next(3) switch
            {
                0 => await TransferAsync(pick.Region!, pick.Leader!.Value, cancellation).ConfigureAwait(false),
                1 => await SplitAsync(pick.Region!, pick.Leader!.Value, aim ?? Encoding.UTF8.GetBytes(splitKey(random)), cancellation).ConfigureAwait(false),
                _ => await MoveAsync(pick.Region!, pick.Leader!.Value, cancellation).ConfigureAwait(false),
            };
        }
        catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException or RpcRemoteException or OperationCanceledException)
        {
            return $"failed: {e.Message}";
        }
    }

    /// <summary>Splits the cluster at each of <paramref name="keys"/> (a key where a region already starts is
    /// done), asking each region's leader as PD knows it and retrying until every split is in: the workload's
    /// regions before the load starts.</summary>
    public async Task SplitAtAsync(IReadOnlyList<string> keys, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        foreach (var key in keys.Select(Encoding.UTF8.GetBytes))
        {
            while (true)
            {
                string problem;
                try
                {
                    var found = await cluster.Pd.GetRegionAsync(key, cancellation).ConfigureAwait(false);
                    if (found.Region?.StartKey.AsSpan().SequenceEqual(key) == true)
                    {
                        break;
                    }
                    if (found is not { Region: { } region, Leader: { } leader })
                    {
                        problem = "PD knows no leader of the region yet";
                    }
                    else
                    {
                        var answer = await CallAsync<SplitRequest, SplitResponse>(leader.StoreId, AdminMethods.Split,
                            new SplitRequest(new RegionContext(region.Id, region.Epoch), [key]), cancellation).ConfigureAwait(false);
                        problem = answer.Error?.ToString() ?? "split, PD not told yet";
                    }
                }
                catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException or RpcRemoteException)
                {
                    problem = e.Message;
                }
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"could not split at {Encoding.UTF8.GetString(key)} within 60 s: {problem}");
                }
                await Task.Delay(100, cancellation).ConfigureAwait(false);
            }
        }
    }

    private async Task<string> TransferAsync(RegionInfo region, PeerInfo leader, CancellationToken cancellation)
    {
        var followers = region.Peers.Where(p => !p.IsLearner && p.Id != leader.Id).ToArray();
        if (followers.Length == 0)
        {
            return $"region {region.Id} has no follower to take over";
        }
        var to = followers[random.Next(followers.Length)];
        var answer = await CallAsync<TransferLeaderRequest, AdminResponse>(leader.StoreId, AdminMethods.TransferLeader,
            new TransferLeaderRequest(new RegionContext(region.Id, region.Epoch), to.Id), cancellation).ConfigureAwait(false);
        return $"transfer leader of region {region.Id} to store {to.StoreId}: {answer.Error?.ToString() ?? "ok"}";
    }

    private async Task<string> SplitAsync(RegionInfo region, PeerInfo leader, byte[] key, CancellationToken cancellation)
    {
        if (!region.Contains(key) || key.AsSpan().SequenceEqual(region.StartKey))
        {
            return $"split of region {region.Id} at {Encoding.UTF8.GetString(key)}: the key lies outside it or is its start";
        }
        var answer = await CallAsync<SplitRequest, SplitResponse>(leader.StoreId, AdminMethods.Split,
            new SplitRequest(new RegionContext(region.Id, region.Epoch), [key]), cancellation).ConfigureAwait(false);
        return $"split region {region.Id} at {Encoding.UTF8.GetString(key)}: {answer.Error?.ToString() ?? "ok"}";
    }

    private async Task<string> MoveAsync(RegionInfo region, PeerInfo leader, CancellationToken cancellation)
    {
        var targets = cluster.Stores.Select(s => s.StoreId).Where(id => region.PeerOnStore(id) is null).ToArray();
        var removable = region.Peers.Where(p => p.Id != leader.Id && !p.IsLearner).ToArray();
        if (targets.Length == 0 || removable.Length == 0)
        {
            return $"region {region.Id}: nowhere to move a replica";
        }
        var target = targets[random.Next(targets.Length)];
        var context = new RegionContext(region.Id, region.Epoch);
        var added = await ChangeAsync(leader.StoreId, context, PeerChangeKind.AddLearner, target, 0, cancellation).ConfigureAwait(false);
        if (added.Error is not null || added.Region?.PeerOnStore(target) is not { } learner)
        {
            return $"move region {region.Id}: add learner on store {target}: {added.Error}";
        }
        // Half the moves swap the learner in for the victim through a joint configuration, the other half
        // promote it first (four voters for a moment); either way the victim is removed last.
        var victim = removable[random.Next(removable.Length)];
        var swap = random.Next(2) == 0;
        var kind = swap ? PeerChangeKind.SwapVoter : PeerChangeKind.PromoteLearner;
        var promoted = await RetryAsync(added.Region, RegionErrorKind.ServerIsBusy,
            context => ChangeAsync(leader.StoreId, context, kind, target, learner.Id, cancellation, swap ? victim.Id : 0), cancellation).ConfigureAwait(false);
        if (promoted.Error is not null)
        {
            return $"move region {region.Id}: {kind} on store {target}: {promoted.Error}";
        }
        // After a swap Raft takes further changes only once the leader has left the joint configuration.
        var removed = await RetryAsync(promoted.Region!, RegionErrorKind.ProposalDropped,
            context => ChangeAsync(leader.StoreId, context, PeerChangeKind.RemovePeer, victim.StoreId, victim.Id, cancellation), cancellation).ConfigureAwait(false);
        return $"move region {region.Id} from store {victim.StoreId} to store {target} ({kind}): {removed.Error?.ToString() ?? "ok"}";
    }

    /// <summary>Sends a membership step against <paramref name="region"/>'s epoch, again while the answer is
    /// <paramref name="transient"/> (up to 50 times, 100 ms apart).</summary>
    private static async Task<ChangePeerResponse> RetryAsync(RegionInfo region, RegionErrorKind transient, Func<RegionContext, Task<ChangePeerResponse>> change, CancellationToken cancellation)
    {
        for (var attempt = 0; ; attempt++)
        {
            var answer = await change(new RegionContext(region.Id, region.Epoch)).ConfigureAwait(false);
            if (answer.Error?.Kind != transient || attempt == 50)
            {
                return answer;
            }
            await Task.Delay(100, cancellation).ConfigureAwait(false);
        }
    }

    private Task<ChangePeerResponse> ChangeAsync(ulong store, RegionContext context, PeerChangeKind kind, ulong targetStore, ulong peer, CancellationToken cancellation, ulong demoted = 0) =>
        CallAsync<ChangePeerRequest, ChangePeerResponse>(store, AdminMethods.ChangePeer, new ChangePeerRequest(context, kind, targetStore, peer, demoted), cancellation);

    private async Task<TResponse> CallAsync<TRequest, TResponse>(ulong storeId, string method, TRequest request, CancellationToken cancellation)
    {
        var store = await cluster.Pd.GetStoreAsync(storeId, cancellation).ConfigureAwait(false)
            ?? throw new RpcConnectionException($"PD does not know store {storeId}");
        var options = new TransportOptions { ClusterId = cluster.Pd.ClusterId, StoreId = 0, MaxFrameBytes = 64 << 20 };
        await using var rpc = await RpcClient.ConnectAsync(options, TcpConnector.To(IPEndPoint.Parse(store.Address)), storeId, cancellation).ConfigureAwait(false);
        var body = await rpc.CallAsync(method, ProtocolSerializer.Serialize(request), TimeSpan.FromSeconds(10), cancellation).ConfigureAwait(false);
        return ProtocolSerializer.Deserialize<TResponse>(new System.Buffers.ReadOnlySequence<byte>(body));
    }
}
