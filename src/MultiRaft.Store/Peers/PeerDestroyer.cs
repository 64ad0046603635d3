using Microsoft.Extensions.Logging;
using MultiRaft.Protocol.Kv;
using MultiRaft.Storage.Kv;
using MultiRaft.Storage.RaftLog;

namespace MultiRaft.Store.Peers;

/// <summary>
/// Removes a replica from this store once it learns it was removed from its region: the region record
/// becomes a tombstone (so a restart does not bring it back), its keys are deleted in every key space (raw and
/// transactional data, locks, write records), its log is dropped from the shared log, and everything waiting
/// on it fails with RegionNotFound.
/// </summary>
internal sealed class PeerDestroyer(RaftLogEngine log, Batch.LogWriter? writer, KvEngine kv, PeerRegistry peers, ILogger logger)
{
    public void Destroy(Peer peer)
    {
        if (peer.IsDestroyed)
        {
            return;
        }
        peer.Applies.WaitIdle(); // Nothing may be applied into the range once it is deleted.
        var region = peer.Region;
        var initialized = peer.IsInitialized;
        // Destroyed first, data second: a read that passed its barrier (a leader's lease outlives its removal)
        // and then finds the data gone sees the peer destroyed when it checks afterwards, and is refused.
        peer.Destroy(RegionError.RegionNotFound(region.RegionId));
        if (initialized)
        {
            using var batch = kv.NewWriteBatch();
            batch.SetRegionState(region with { Tombstone = true });
            batch.DeleteRegionData(region.StartKey, region.EndKey);
            kv.Write(batch, sync: true);
        }
        writer?.WaitIdle(); // A write still queued for the region would bring its log back.
        log.RemoveRegion(region.RegionId);
        log.Sync();
        peers.Remove(region.RegionId);
        logger.LogInformation("region {Region}: peer {Peer} removed from this store", region.RegionId, peer.PeerId);
    }
}
