using Microsoft.Extensions.Logging;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Pd;
using MultiRaft.Storage.Kv;
using MultiRaft.Store.Peers;
using MultiRaft.Store.Regions;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Store.Pd;

/// <summary>
/// Keeps PD informed: a region heartbeat from every region this store leads (at once when leadership or the
/// region changes, every few seconds while it serves requests, and periodically), and a store heartbeat with capacity and counts.
/// A region heartbeat carries the region's metadata (range, epoch, peers) only until PD accepted it for the
/// current region and term, or when PD asks for it; otherwise just the region id, epoch, leader, health and load.
/// </summary>
internal sealed class PdReporter(StoreOptions options, ulong storeId, PdClient pd, PeerRegistry peers, KvEngine kv, OperatorExecutor operators, ILogger logger)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private readonly System.Collections.Concurrent.ConcurrentQueue<RegionInfo[]> _splits = new();
    private readonly LoadRates _regionLoad = new();
    private readonly LoadRates _storeLoad = new();

    /// <summary>Queues a split this store's leader applied; PD hears of it on the next poll, before any
    /// heartbeat, so routing moves to the new regions at once.</summary>
    public void ReportSplit(RegionInfo[] regions) => _splits.Enqueue(regions);

    public async Task RunAsync(CancellationToken cancellation)
    {
        var nextRegionRound = DateTime.UtcNow;
        var nextStoreBeat = DateTime.UtcNow;
        var nextOperatorPoll = DateTime.UtcNow;
        using var timer = new PeriodicTimer(Poll);
        while (await timer.WaitForNextTickAsync(cancellation).ConfigureAwait(false))
        {
            var now = DateTime.UtcNow;
            var everyLeader = now >= nextRegionRound;
            if (everyLeader)
            {
                nextRegionRound = now + options.RegionHeartbeatInterval;
            }
            await ReportSplitsAsync(cancellation).ConfigureAwait(false);
            if (now >= nextOperatorPoll)
            {
                nextOperatorPoll = now + options.OperatorPollInterval;
                await PollOperatorsAsync(cancellation).ConfigureAwait(false);
            }
            await ReportRegionsAsync(everyLeader, cancellation).ConfigureAwait(false);
            if (now >= nextStoreBeat)
            {
                nextStoreBeat = now + options.StoreHeartbeatInterval;
                await ReportStoreAsync(cancellation).ConfigureAwait(false);
            }
            if (everyLeader)
            {
                await CheckStalePeersAsync(cancellation).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Asks PD for operator steps due on regions led here, so an operator (a split the ops tool asked
    /// for, a move) starts within a poll instead of waiting for the region's next heartbeat.</summary>
    private async Task PollOperatorsAsync(CancellationToken cancellation)
    {
        try
        {
            foreach (var step in await pd.PendingOperatorsAsync(storeId, cancellation).ConfigureAwait(false))
            {
                _ = operators.ExecuteAsync(step, cancellation);
            }
        }
        catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException or RpcRemoteException)
        {
            logger.LogDebug("polling PD for operators failed: {Reason}", e.Message);
        }
    }

    private async Task ReportSplitsAsync(CancellationToken cancellation)
    {
        while (_splits.TryPeek(out var regions))
        {
            try
            {
                await pd.ReportSplitAsync(regions, cancellation).ConfigureAwait(false);
                _splits.TryDequeue(out _);
            }
            catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException or RpcRemoteException)
            {
                logger.LogWarning("reporting the split of region {Region} failed: {Reason}", regions[0].Id, e.Message);
                return;
            }
        }
    }

    private async Task ReportRegionsAsync(bool everyLeader, CancellationToken cancellation)
    {
        foreach (var peer in peers.All)
        {
            if (!peer.IsLeader || !peer.IsInitialized
                || !(everyLeader || peer.HeartbeatDue || _regionLoad.BusySince(peer.RegionId, peer.Written, peer.Read, options.BusyRegionHeartbeatInterval)))
            {
                continue;
            }
            peer.HeartbeatDue = false;
            var region = peer.Region;
            var term = peer.Term;
            var stats = kv.GetApproximateStats(region.StartKey, region.EndKey);
            var load = _regionLoad.Rates(peer.RegionId, peer.Written, peer.Read);
            var health = peer.Health;
            // The region's metadata goes only where PD may not have it: a region or term it has not accepted.
            var acknowledged = peer.ReportedToPd is { } reported && reported.Term == term && reported.Region.Equals(region);
            var request = new RegionHeartbeatRequest(
                acknowledged ? null : region.ToInfo(),
                new PeerInfo(peer.PeerId, storeId, false),
                term,
                health.Down,
                health.Pending,
                new RegionStats(stats.ApproximateBytes, stats.ApproximateKeys, load.WriteBytes, load.WriteKeys, load.ReadBytes, load.ReadKeys),
                peer.TakeSampledKeys(),
                region.RegionId,
                region.Epoch.ToInfo());
            try
            {
                var response = await pd.RegionHeartbeatAsync(request, cancellation).ConfigureAwait(false);
                if (response.NeedFullRegion)
                {
                    peer.ReportedToPd = null;
                    peer.HeartbeatDue = true; // The whole region on the next poll.
                }
                else if (!acknowledged)
                {
                    peer.ReportedToPd = (region, term);
                }
                if (response.Step is { } step)
                {
                    // Not awaited: a split or membership step waits for Raft, and heartbeats must go on.
                    _ = operators.ExecuteAsync(step, cancellation);
                }
            }
            catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException or RpcRemoteException)
            {
                peer.HeartbeatDue = true; // Try again next poll.
                logger.LogWarning("region heartbeat for region {Region} failed: {Reason}", region.RegionId, e.Message);
                return;
            }
        }
    }

    /// <summary>A replica removed while it was down or cut off never hears of its removal through Raft: the
    /// leader no longer talks to it. If PD knows a newer membership without it, it destroys itself.</summary>
    private async Task CheckStalePeersAsync(CancellationToken cancellation)
    {
        var silentFor = (long)options.StalePeerCheckAfter.TotalMilliseconds;
        foreach (var peer in peers.All)
        {
            if (peer.IsLeader || !peer.IsInitialized || peer.IsHibernating || Environment.TickCount64 - peer.LastLeaderContact < silentFor)
            {
                continue;
            }
            try
            {
                var known = (await pd.GetRegionByIdAsync(peer.RegionId, cancellation).ConfigureAwait(false)).Region;
                if (known is not null && known.Epoch.ConfVersion > peer.Region.Epoch.ConfVersion && known.PeerById(peer.PeerId) is null)
                {
                    logger.LogInformation("region {Region}: PD's membership (conf version {Version}) no longer has peer {Peer}", peer.RegionId, known.Epoch.ConfVersion, peer.PeerId);
                    peer.Post(new PeerInput(PeerInputKind.Destroy));
                }
            }
            catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException or RpcRemoteException)
            {
                logger.LogWarning("checking region {Region} with PD failed: {Reason}", peer.RegionId, e.Message);
                return;
            }
        }
    }

    private async Task ReportStoreAsync(CancellationToken cancellation)
    {
        var drive = new DriveInfo(Path.GetFullPath(options.DataDirectory));
        int regions = 0, leaders = 0;
        (long Keys, long Bytes) written = (0, 0), read = (0, 0);
        foreach (var peer in peers.All)
        {
            regions++;
            leaders += peer.IsLeader ? 1 : 0;
            written = (written.Keys + peer.Written.Keys, written.Bytes + peer.Written.Bytes);
            read = (read.Keys + peer.Read.Keys, read.Bytes + peer.Read.Bytes);
        }
        var load = _storeLoad.Rates(storeId, written, read);
        var stats = new StoreStats(drive.TotalSize, drive.AvailableFreeSpace, DirectoryBytes(options.DataDirectory), regions, leaders,
            load.WriteBytes, load.WriteKeys, load.ReadBytes, load.ReadKeys);
        try
        {
            await pd.StoreHeartbeatAsync(storeId, stats, cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException or RpcRemoteException)
        {
            logger.LogWarning("store heartbeat failed: {Reason}", e.Message);
        }
    }

    private static long DirectoryBytes(string directory)
    {
        long bytes = 0;
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            bytes += file.Length;
        }
        return bytes;
    }
}
