using MultiRaft.Protocol.Metadata;
using MultiRaft.Raft;
using MultiRaft.Storage.Kv;
using MultiRaft.Storage.RaftLog;
using MultiRaft.Store.Regions;
using MultiRaft.Store.Snapshots;

namespace MultiRaft.Store.Peers;

/// <summary>Builds the peer of a region on this store from what the engines hold, and writes the initial
/// state of a region this store hosts from its first index.</summary>
internal sealed class PeerFactory(StoreOptions options, ulong storeId, RaftLogEngine log, KvEngine kv, SnapshotFiles snapshots, Batch.TickClock clock, Action<Peer> schedule, Action<Apply.ApplyMailbox> scheduleApply)
{
    /// <summary>Index and term a region starts from when it is created by bootstrap: non-zero, so the first
    /// entries replicate normally and a peer created empty (index 0) is told apart and sent a snapshot.</summary>
    public const ulong InitialIndex = 5;

    /// <summary>The peer of <paramref name="region"/> as persisted; null if the region has no peer here.
    /// <paramref name="brandNew"/>: the region was just made here (by a split, or by bootstrap), so no leader's
    /// lease can count on this peer and it may vote at once.</summary>
    public Peer? Open(RegionLocalState region, bool brandNew = false)
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
            AsyncLogWrites = options.AsyncLogWrites,
            Applied = applied,
            QuietOnStart = !brandNew,
        });
        return new Peer(region, self.Id, node, applied, clock, schedule, scheduleApply);
    }

    /// <summary>
    /// A leader sent <paramref name="region"/> (its view) to peer <paramref name="peerId"/>, which this store does
    /// not host: if the region overlaps none of the store's initialized regions, it is a replica being added
    /// here, and an empty peer is returned for the leader's snapshot to fill. Null when it overlaps (a split not
    /// applied here yet will create it), when the peer is not ours, or when the store removed that replica and
    /// its tombstone is at least as new as the sender's membership: the sender has not heard of the removal,
    /// and must not bring the replica back.
    /// </summary>
    public Peer? OpenForLeader(RegionInfo? region, ulong peerId, PeerRegistry peers)
    {
        if (region?.PeerById(peerId) is not { } target || target.StoreId != storeId)
        {
            return null;
        }
        var incoming = region.ToLocalState();
        if (kv.GetRegionState(incoming.RegionId) is { Tombstone: true } removed && incoming.Epoch.ConfVersion <= removed.Epoch.ConfVersion)
        {
            return null;
        }
        foreach (var existing in peers.All)
        {
            if (existing.IsInitialized && existing.Region.Overlaps(incoming))
            {
                return null;
            }
        }
        return OpenUninitialized(incoming, peerId);
    }

    /// <summary>
    /// A replica being added to <paramref name="region"/> on this store: an empty log and no data, so the
    /// leader's first append is refused and it sends a snapshot, which initializes the peer. Nothing is
    /// persisted until then; a restart before it simply waits for the leader to ask again.
    /// </summary>
    public Peer OpenUninitialized(RegionLocalState region, ulong peerId)
    {
        var storage = new PeerStorage(new RegionRaftStorage(log, region.RegionId, ConfState.Empty), kv, snapshots);
        var node = new RaftNode(new RaftConfig
        {
            Id = peerId,
            Storage = storage,
            Random = new Random(unchecked((int)(peerId * 2_654_435_761UL))),
            ElectionTicks = options.ElectionTicks,
            HeartbeatTicks = options.HeartbeatTicks,
            LeaseTicks = options.LeaseTicks,
            AsyncLogWrites = options.AsyncLogWrites,
        });
        return new Peer(region, peerId, node, appliedIndex: 0, clock, schedule, scheduleApply) { IsInitialized = false };
    }

    /// <summary>Writes a bootstrapped region's starting point: its log (see <see cref="WriteInitialLogs"/>),
    /// then the region and its apply state in the KV engine (in that order: the KV record is what a restart
    /// looks for, so it is written last).</summary>
    public void WriteInitialState(RegionLocalState region)
    {
        WriteInitialLogs([region]);
        using var kvBatch = kv.NewWriteBatch();
        AddInitialState(kvBatch, region);
        kv.Write(kvBatch, sync: true);
    }

    /// <summary>Durably starts the logs of new regions after <see cref="InitialIndex"/>, with their voters.</summary>
    public void WriteInitialLogs(IEnumerable<RegionLocalState> regions)
    {
        var batch = new LogWriteBatch();
        foreach (var region in regions)
        {
            batch.ApplySnapshot(region.RegionId, new SnapshotMetadata(InitialIndex, InitialIndex, region.ToConfState()));
            batch.SetHardState(region.RegionId, new HardState(InitialIndex, RaftNode.None, InitialIndex));
        }
        log.Write(batch);
        log.Sync();
    }

    /// <summary>Whether the KV engine holds a record of the region: it was hosted here (it may be a tombstone).</summary>
    public bool HasState(ulong regionId) => kv.GetRegionState(regionId) is not null;

    /// <summary>A new region's KV records: the region, applied up to <see cref="InitialIndex"/>.</summary>
    public static void AddInitialState(KvWriteBatch batch, RegionLocalState region)
    {
        batch.SetRegionState(region);
        batch.SetApplyState(region.RegionId, new ApplyState(InitialIndex, InitialIndex));
    }
}
