using Microsoft.Extensions.Logging;
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
                    var region = info.ToLocalState();
                    if (_kv.GetRegionState(region.RegionId) is null)
                    {
                        _factory!.WriteInitialState(region);
                    }
                    if (_factory!.Open(_kv.GetRegionState(region.RegionId)!) is { } peer && _peers.TryAdd(peer))
                    {
                        _logger.LogInformation("store {Store} bootstrapped region {Region} with peer {Peer}", StoreId, region.RegionId, peer.PeerId);
                        peer.TrySchedule();
                    }
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
}
