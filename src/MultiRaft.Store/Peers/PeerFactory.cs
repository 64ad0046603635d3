using MultiRaft.Raft;
using MultiRaft.Storage.Kv;
using MultiRaft.Storage.RaftLog;
using MultiRaft.Store.Regions;
using MultiRaft.Store.Snapshots;

namespace MultiRaft.Store.Peers;

/// <summary>Builds the peer of a region on this store from what the engines hold, and writes the initial
/// state of a region this store hosts from its first index.</summary>
internal sealed class PeerFactory(StoreOptions options, ulong storeId, RaftLogEngine log, KvEngine kv, SnapshotFiles snapshots, Action<Peer> schedule)
{
    /// <summary>Index and term a region starts from when it is created by bootstrap: non-zero, so the first
    /// entries replicate normally and a peer created empty (index 0) is told apart and sent a snapshot.</summary>
    public const ulong InitialIndex = 5;

    /// <summary>The peer of <paramref name="region"/> as persisted; null if the region has no peer here.</summary>
    public Peer? Open(RegionLocalState region)
    {
        if (region.Tombstone || region.PeerOnStore(storeId) is not { } self)
        {
            return null;
        }
        var applied = kv.GetApplyState(region.RegionId)?.AppliedIndex ?? 0;
        var storage = new PeerStorage(new RegionRaftStorage(log, region.RegionId, region.ToConfState()), kv, snapshots);
        var node = new RaftNode(new RaftConfig
        {
            Id = self.Id,
            Storage = storage,
            Random = new Random(unchecked((int)(self.Id * 2_654_435_761UL))),
            ElectionTicks = options.ElectionTicks,
            HeartbeatTicks = options.HeartbeatTicks,
            LeaseTicks = options.LeaseTicks,
            Applied = applied,
        });
        return new Peer(region, self.Id, node, applied, schedule);
    }

    /// <summary>Writes a bootstrapped region's starting point: a log that begins after
    /// <see cref="InitialIndex"/> with the region's voters, then the region and its apply state in the KV
    /// engine (in that order: the KV record is what a restart looks for, so it is written last).</summary>
    public void WriteInitialState(RegionLocalState region)
    {
        var batch = new LogWriteBatch();
        batch.ApplySnapshot(region.RegionId, new SnapshotMetadata(InitialIndex, InitialIndex, region.ToConfState()));
        batch.SetHardState(region.RegionId, new HardState(InitialIndex, RaftNode.None, InitialIndex));
        log.Write(batch);
        log.Sync();
        using var kvBatch = kv.NewWriteBatch();
        kvBatch.SetRegionState(region);
        kvBatch.SetApplyState(region.RegionId, new ApplyState(InitialIndex, InitialIndex));
        kv.Write(kvBatch, sync: true);
    }
}
