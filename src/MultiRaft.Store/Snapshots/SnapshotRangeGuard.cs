using Microsoft.Extensions.Logging;
using MultiRaft.Raft;
using MultiRaft.Storage.Kv;
using MultiRaft.Store.Peers;

namespace MultiRaft.Store.Snapshots;

/// <summary>
/// Keeps the ranges of this store's regions apart when snapshots arrive, as TiKV's snapshot check does. A
/// snapshot holds its region as it was when the snapshot was taken. One taken before a split still covers the
/// regions that split made, and this store may already hold one of them: a replica being added here whose
/// snapshot travelled while the region split, and the new region's leader reached us first. Installing it
/// would clear that region's keys and put older ones back, which readers there would then serve. Such a
/// snapshot is refused; the leader sends a newer one. An admitted snapshot reserves its range until the round
/// that stepped it is over (it is installed in that round, or Raft turned it down), so that two workers never
/// admit overlapping snapshots at once.
/// </summary>
internal sealed class SnapshotRangeGuard(KvEngine kv, PeerRegistry peers, SnapshotFiles files, ILogger logger)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, RegionLocalState> _reserved = [];

    /// <summary>Whether <paramref name="peer"/> may step <paramref name="snapshot"/>; true reserves its range
    /// until <see cref="Release"/>. A refused snapshot's file is deleted.</summary>
    public bool TryAdmit(Peer peer, Snapshot snapshot)
    {
        var path = files.PathOf(snapshot.Data);
        var reason = path is null ? "its file is gone" : Check(peer, path);
        if (reason is null)
        {
            return true;
        }
        logger.LogInformation("region {Region}: snapshot at {Index} refused: {Reason}", peer.RegionId, snapshot.Metadata.Index, reason);
        if (path is not null)
        {
            SnapshotFiles.Delete(path);
        }
        return false;
    }

    public void Release(Peer peer)
    {
        lock (_lock)
        {
            _reserved.Remove(peer.RegionId);
        }
    }

    private string? Check(Peer peer, string path)
    {
        RegionLocalState incoming;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
            incoming = kv.ReadSnapshotRegion(file);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return $"its header cannot be read: {e.Message}";
        }
        if (incoming.RegionId != peer.RegionId)
        {
            return $"it holds region {incoming.RegionId}";
        }
        lock (_lock)
        {
            // A destroyed peer still counts until it leaves the registry: its keys are being deleted until then.
            foreach (var other in peers.All)
            {
                if (other.RegionId != peer.RegionId && other.IsInitialized && other.Region.Overlaps(incoming))
                {
                    return $"its range overlaps region {other.RegionId}, which this store holds";
                }
            }
            foreach (var (regionId, reserved) in _reserved)
            {
                if (regionId != peer.RegionId && reserved.Overlaps(incoming))
                {
                    return $"its range overlaps a snapshot of region {regionId} being installed";
                }
            }
            _reserved[peer.RegionId] = incoming;
        }
        return null;
    }
}
