using MultiRaft.Raft;
using MultiRaft.Storage.Kv;
using MultiRaft.Store.Apply;
using MultiRaft.Store.Commands;
using MultiRaft.Store.Peers;
using MultiRaft.Store.Regions;
using MultiRaft.Store.Snapshots;
using static MultiRaft.Store.Tests.LocalStoreParts;

namespace MultiRaft.Store.Tests;

/// <summary>
/// The race TiKV guards against: a replica of region 1 is being added to this store, its snapshot (taken before
/// region 1 split at "m") travels slowly, and region 2 — the split's right half — reaches this store first and
/// installs its own snapshot. The old snapshot of region 1 would clear region 2's keys and put older ones
/// back; it must be refused. And when region 1 later applies the split, it must leave region 2's peer alone.
/// </summary>
public sealed class OverlappingRegionsTests : IDisposable
{
    private readonly LocalStoreParts _store = new();
    private readonly string _leaderDirectory = Path.Combine(Path.GetTempPath(), "multiraft-leader-kv-" + Guid.NewGuid().ToString("N"));
    private readonly KvEngine _leaderKv;

    public OverlappingRegionsTests() => _leaderKv = KvEngine.Open(_leaderDirectory);

    /// <summary>A snapshot of <paramref name="region"/> as a leader elsewhere would stream it, received here.</summary>
    private Snapshot SnapshotOf(RegionLocalState region)
    {
        using (var batch = _leaderKv.NewWriteBatch())
        {
            batch.SetRegionState(region);
            batch.SetApplyState(region.RegionId, new ApplyState(10, 6));
            batch.Put(region.StartKey.Length > 0 ? region.StartKey : B("a"), B("old"));
            _leaderKv.Write(batch, sync: false);
        }
        var path = _store.Files.NewPath("recv", region.RegionId);
        using (var file = File.Create(path))
        {
            _leaderKv.ExportSnapshot(region.RegionId, file);
        }
        return new Snapshot(new SnapshotMetadata(10, 6, region.ToConfState()), SnapshotFiles.Ticket(path));
    }

    [Fact]
    public void A_snapshot_from_before_a_split_is_refused_where_a_region_of_the_split_already_lives()
    {
        _store.Hosted(Region(2, "m", "", 20));
        var beingAdded = _store.Uninitialized(Region(1, "", "", 10));
        var stale = SnapshotOf(Region(1, "", "", 10));

        Assert.False(_store.Guard.TryAdmit(beingAdded, stale));
        Assert.Null(_store.Files.PathOf(stale.Data)); // The refused file is gone.

        // The leader's next snapshot, taken after the split, covers only the left half: admitted.
        Assert.True(_store.Guard.TryAdmit(beingAdded, SnapshotOf(Region(1, "", "m", 10))));
    }

    [Fact]
    public void Two_overlapping_snapshots_are_never_admitted_at_once()
    {
        var left = _store.Uninitialized(Region(1, "", "", 10));
        var right = _store.Uninitialized(Region(2, "m", "", 20));

        Assert.True(_store.Guard.TryAdmit(left, SnapshotOf(Region(1, "", "", 10))));
        Assert.False(_store.Guard.TryAdmit(right, SnapshotOf(Region(2, "m", "", 20))));

        _store.Guard.Release(left);
        Assert.True(_store.Guard.TryAdmit(right, SnapshotOf(Region(2, "m", "", 20))));
    }

    [Fact]
    public void A_snapshot_that_overlaps_nothing_is_admitted_also_over_a_peer_not_yet_initialized()
    {
        _store.Hosted(Region(3, "", "c", 30));
        _store.Uninitialized(Region(2, "m", "", 20));
        var beingAdded = _store.Uninitialized(Region(1, "c", "", 10));

        Assert.True(_store.Guard.TryAdmit(beingAdded, SnapshotOf(Region(1, "c", "", 10))));
    }

    [Fact]
    public void A_split_leaves_a_new_region_alone_where_this_store_already_has_its_peer_or_its_tombstone()
    {
        var parent = _store.Hosted(Region(1, "", "", 10));
        var waiting = _store.Uninitialized(Region(2, "m", "", 20));
        var splits = new SplitExecutor(_store.Factory, _store.Peers, new EarlyMessages(16, TimeSpan.FromSeconds(1)), _ => { });
        using (var batch = _store.Kv.NewWriteBatch())
        {
            batch.SetRegionState(Region(3, "t", "", 30) with { Tombstone = true });
            _store.Kv.Write(batch, sync: false);
        }

        var prepared = splits.Prepare(parent, new SplitCommand([B("m"), B("t"), B("x")], [2, 3, 4], [[21, 22, 23], [31, 32, 33], [41, 42, 43]]), out var error);

        Assert.Null(error);
        Assert.Equal([1ul, 2, 3, 4], prepared!.Regions.Select(r => r.RegionId));
        Assert.Equal([4ul], prepared.StartedHere.Select(r => r.RegionId));
        Assert.Same(waiting, _store.Peers.Find(2));
        Assert.True(_store.Kv.GetRegionState(3)!.Tombstone);
    }

    public void Dispose()
    {
        _store.Dispose();
        _leaderKv.Dispose();
        Directory.Delete(_leaderDirectory, recursive: true);
    }
}
