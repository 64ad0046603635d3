using MultiRaft.Raft;
using MultiRaft.Storage.Kv;
using MultiRaft.Storage.RaftLog;
using MultiRaft.Store.Peers;

namespace MultiRaft.Store.Batch;

/// <summary>
/// Log GC: once a region has more than <see cref="StoreOptions.LogGcThresholdEntries"/> applied entries in
/// its log, or more than <see cref="StoreOptions.LogGcThresholdBytes"/> of live log, the log is cut at the
/// applied index — or, on a leader, at the slowest follower's match when that
/// is not too far behind, so a healthy follower is not pushed onto a snapshot. A region the shared log's purge
/// asked to compact (<see cref="Peer.LogCompactionRequested"/>: its old entries pin the log's oldest segment)
/// is cut at the applied index whatever the thresholds. The applied state is made durable in the KV engine
/// first: the log is never compacted past what the KV engine has durably applied.
/// Every Raft worker's round calls it, concurrently: it keeps no state between calls.
/// </summary>
internal sealed class LogCompactor(StoreOptions options, RaftLogEngine log, KvEngine kv)
{
    /// <summary>Compacts the logs of <paramref name="peers"/> that are due (the round's peers with output, and
    /// any whose compaction was requested).</summary>
    public void Compact(IEnumerable<Peer> peers)
    {
        var threshold = (ulong)options.LogGcThresholdEntries;
        List<(Peer Peer, ulong CompactTo)>? due = null;
        foreach (var peer in peers)
        {
            var forced = peer.LogCompactionRequested;
            peer.LogCompactionRequested = false;
            if (peer.IsDestroyed || !peer.IsInitialized)
            {
                continue;
            }
            var stats = log.RegionStats(peer.RegionId);
            var first = stats.FirstIndex;
            var applied = peer.AppliedIndex;
            if (applied < first || (!forced && applied - first < threshold && stats.LiveBytes < options.LogGcThresholdBytes))
            {
                continue;
            }
            var compactTo = Math.Min(applied, stats.LastIndex);
            if (!forced && peer.IsLeader && SlowestFollowerMatch(peer) is { } slowest && slowest + threshold >= applied)
            {
                compactTo = Math.Min(compactTo, slowest);
            }
            if (compactTo > first)
            {
                (due ??= []).Add((peer, compactTo));
            }
        }
        if (due is null)
        {
            return;
        }
        using (var sync = kv.NewWriteBatch())
        {
            foreach (var (peer, _) in due)
            {
                if (kv.GetApplyState(peer.RegionId) is { } state)
                {
                    sync.SetApplyState(peer.RegionId, state);
                }
            }
            kv.Write(sync, sync: true); // Flushes the WAL with every apply written before it.
        }
        foreach (var (peer, compactTo) in due)
        {
            log.Compact(peer.RegionId, compactTo);
        }
    }

    private static ulong? SlowestFollowerMatch(Peer peer)
    {
        ulong? slowest = null;
        foreach (var (id, progress) in peer.Node.Progress)
        {
            if (id != peer.PeerId && (slowest is null || progress.Match < slowest))
            {
                slowest = progress.Match;
            }
        }
        return slowest;
    }
}
