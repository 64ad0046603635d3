using MultiRaft.Raft;
using MultiRaft.Storage.Kv;
using MultiRaft.Storage.RaftLog;
using MultiRaft.Store.Regions;

namespace MultiRaft.Store.Snapshots;

/// <summary>
/// A region's Raft storage on this store: entries come from the shared log, but a snapshot is cut from the
/// KV engine at the moment Raft asks, from one engine snapshot (an apply worker may be writing this region
/// meanwhile): its metadata is the applied index and term the exported data carries, never the log's older
/// compaction point.
/// </summary>
internal sealed class PeerStorage(RegionRaftStorage log, KvEngine kv, SnapshotFiles files) : IRaftStorage
{
    public ulong FirstIndex => log.FirstIndex;

    public ulong LastIndex => log.LastIndex;

    public RaftInitialState InitialState() => log.InitialState();

    public LogRead Entries(ulong lo, ulong hi, long maxBytes, List<Entry> into) => log.Entries(lo, hi, maxBytes, into);

    public LogRead Term(ulong index, out ulong term) => log.Term(index, out term);

    public Snapshot? Snapshot()
    {
        var path = files.NewPath("gen", log.Region);
        RegionSnapshotSummary summary;
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        {
            summary = kv.ExportSnapshot(log.Region, file);
        }
        var metadata = new SnapshotMetadata(summary.Apply.AppliedIndex, summary.Apply.AppliedTerm, summary.Region.ToConfState());
        return new Snapshot(metadata, SnapshotFiles.Ticket(path));
    }
}
