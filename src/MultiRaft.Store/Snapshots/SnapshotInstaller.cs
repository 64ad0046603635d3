using MultiRaft.Raft;
using MultiRaft.Storage.Kv;
using MultiRaft.Store.Peers;

namespace MultiRaft.Store.Snapshots;

/// <summary>
/// Installs a snapshot Raft accepted: the KV engine clears the region's range and ingests the file (synced),
/// and only then does the log engine move the region's log past the snapshot, so a crash in between leaves
/// data at least as new as the log says.
/// </summary>
internal sealed class SnapshotInstaller(KvEngine kv, SnapshotFiles files)
{
    private long _installed;

    public long Installed => Interlocked.Read(ref _installed);

    public void Install(Peer peer, Snapshot snapshot)
    {
        var path = files.PathOf(snapshot.Data)
            ?? throw new InvalidOperationException($"region {peer.RegionId}: the snapshot at {snapshot.Metadata.Index} names no received file");
        RegionSnapshotSummary summary;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
        {
            summary = kv.ImportSnapshot(file, sync: true);
        }
        SnapshotFiles.Delete(path);
        if (summary.Region.RegionId != peer.RegionId || summary.Apply.AppliedIndex != snapshot.Metadata.Index)
        {
            throw new InvalidDataException($"region {peer.RegionId}: snapshot file holds region {summary.Region.RegionId} at {summary.Apply.AppliedIndex}, Raft expected index {snapshot.Metadata.Index}");
        }
        peer.Region = summary.Region;
        peer.AppliedIndex = summary.Apply.AppliedIndex;
        peer.AppliedTerm = summary.Apply.AppliedTerm;
        peer.IsInitialized = true;
        Interlocked.Increment(ref _installed);
    }
}
