using Microsoft.Extensions.Logging;
using MultiRaft.Store.Peers;
using MultiRaft.Store.Regions;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Store;

public sealed partial class StoreServer
{
    /// <summary>A store with no region asks PD, until it answers, whether it holds a peer of the cluster's
    /// first region; if so it writes that region's starting state and starts its peer.</summary>
    private async Task BootstrapAsync(CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested && _peers.Count == 0)
        {
            try
            {
                if (await _pd.GetBootstrapRegionAsync(StoreId, cancellation).ConfigureAwait(false) is { } info)
                {
                    // Off the thread pool: writing the region's first state waits for an fsync, and FASTER's device
                    // completes its writes on pool threads. Stores bootstrapping at once in one process (a local
                    // cluster on a small machine) could otherwise block every pool thread on writes that need one.
                    await Task.Factory.StartNew(() => StartBootstrapPeer(info.ToLocalState()), cancellation, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
                    return;
                }
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException or RpcRemoteException)
            {
                _logger.LogWarning("asking PD for the first region failed: {Reason}", e.Message);
            }
            try
            {
                await Task.Delay(_options.BootstrapPollInterval, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Writes the first region's starting state (unless a restart finds it written) and starts its peer. A
    /// brand-new peer may vote at once, and the one PD lists first campaigns at once, so the cluster has a
    /// leader as soon as two stores are up instead of after a quiet period and an election timeout. Vote
    /// requests that came before this store bootstrapped are handed over. Under the lock that a leader's
    /// message takes to create a replica: a region is created here by one of the two, never by both.
    /// </summary>
    private void StartBootstrapPeer(Storage.Kv.RegionLocalState region)
    {
        lock (_creatingPeers)
        {
            if (_peers.Find(region.RegionId) is not null)
            {
                return; // A leader's message made it first: the leader's snapshot fills it.
            }
            var brandNew = _kv.GetRegionState(region.RegionId) is null;
            if (brandNew)
            {
                _factory!.WriteInitialState(region);
            }
            if (_factory!.Open(_kv.GetRegionState(region.RegionId)!, brandNew) is not { } peer || !_peers.TryAdd(peer))
            {
                return;
            }
            _logger.LogInformation("store {Store} bootstrapped region {Region} with peer {Peer}", StoreId, region.RegionId, peer.PeerId);
            _early.Deliver(peer);
            if (brandNew && region.Peers[0].StoreId == StoreId)
            {
                peer.Post(new PeerInput(PeerInputKind.Campaign));
            }
            else
            {
                peer.TrySchedule();
            }
        }
    }
}
