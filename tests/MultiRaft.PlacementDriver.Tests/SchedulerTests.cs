using MultiRaft.PlacementDriver.Scheduling;
using MultiRaft.PlacementDriver.Scheduling.Schedulers;
using MultiRaft.Protocol.Metadata;
using static MultiRaft.PlacementDriver.Tests.FakeCluster;

namespace MultiRaft.PlacementDriver.Tests;

public class SchedulerTests
{
    private static FakeCluster Only(string scheduler, SchedulingOptions? options = null) =>
        new((options ?? new SchedulingOptions()) with { Enabled = [scheduler] });

    [Fact]
    public void Split_by_size_or_keys_at_the_middle_key()
    {
        var cluster = Only(SplitScheduler.SchedulerName, new SchedulingOptions { Split = new SplitConfig { MaxBytes = 1000, MaxKeys = 100 } }).WithStores(1, 2, 3);
        cluster.Put(1, [1, 2, 3], Stats(bytes: 999, keys: 99));
        cluster.Put(2, [1, 2, 3], Stats(bytes: 1000));
        cluster.Put(3, [1, 2, 3], Stats(keys: 100));

        var ops = cluster.Runner.RunOnce();
        Assert.Equal([2UL, 3], ops.Select(o => o.RegionId));
        Assert.All(ops, o => Assert.Equal(OperatorKind.Split, o.Kind));
        Assert.Contains("size", ops[0].Reason);
        Assert.Contains("keys", ops[1].Reason);
        var step = cluster.Heartbeat(2)!;
        Assert.Empty(step.Split!.SplitKeys);
        Assert.Empty(cluster.Runner.RunOnce()); // Not twice while one runs.
    }

    [Fact]
    public void Load_split_needs_consecutive_hot_reports_and_splits_at_the_median_sample()
    {
        var cluster = Only(LoadSplitScheduler.SchedulerName, new SchedulingOptions { LoadSplit = new LoadSplitConfig { KeysPerSec = 100, BytesPerSec = 1 << 20, Reports = 3 } })
            .WithStores(1, 2, 3);
        var hot = cluster.Put(1, [1, 2, 3], Stats(writeKeys: 150));
        var loadSplit = (LoadSplitScheduler)cluster.Runner.Find(LoadSplitScheduler.SchedulerName)!;
        byte[][] samples = [.. new[] { "k0001c", "k0001a", "k0001", "k0001e", "k0001b", "zzz", "k0001d" }.Select(PdHarness.Key)];

        cluster.Controller.NextStep(cluster.HeartbeatOf(hot, samples), hot.Region);
        cluster.Controller.NextStep(cluster.HeartbeatOf(hot, samples), hot.Region);
        Assert.Empty(cluster.Runner.RunOnce());
        // A cool report breaks the streak.
        cluster.Controller.NextStep(cluster.HeartbeatOf(hot with { Stats = Stats(writeKeys: 99) }), hot.Region);
        Assert.Equal(0, loadSplit.HotReports(1));
        for (var i = 0; i < 3; i++)
        {
            cluster.Controller.NextStep(cluster.HeartbeatOf(hot, samples), hot.Region);
        }
        var op = Assert.Single(cluster.Runner.RunOnce());
        // Inside the region [k0001, k0002) and not its start key: a, b, c, d, e; the median is c.
        Assert.Equal("k0001c", System.Text.Encoding.ASCII.GetString(((SplitAction)op.Actions[0]).Keys[0]));
        Assert.Equal(0, loadSplit.HotReports(1));
    }

    [Fact]
    public void Load_split_without_samples_splits_at_the_middle_and_reads_count_too()
    {
        var cluster = Only(LoadSplitScheduler.SchedulerName, new SchedulingOptions { LoadSplit = new LoadSplitConfig { KeysPerSec = 100_000, BytesPerSec = 1000, Reports = 1 } })
            .WithStores(1, 2, 3);
        var hot = cluster.Put(1, [1, 2, 3], new Protocol.Pd.RegionStats(0, 0, 0, 0, 5000, 10));
        cluster.Heartbeat(1);
        var op = Assert.Single(cluster.Runner.RunOnce());
        Assert.Empty(((SplitAction)op.Actions[0]).Keys);
        Assert.Contains("middle", op.Reason);
        Assert.Null(LoadSplitScheduler.SplitKey(hot.Region, [PdHarness.Key("k0001")])); // The start key is no split key.
    }

    [Fact]
    public void Balance_leader_evens_out_leader_counts_and_then_stops()
    {
        var cluster = Only(BalanceLeaderScheduler.SchedulerName).WithStores(1, 2, 3);
        for (ulong id = 1; id <= 10; id++)
        {
            cluster.Put(id, [1, 2, 3]); // All led by store 1.
        }
        var ops = cluster.Converge();
        Assert.All(ops, o => Assert.Equal(OperatorKind.TransferLeader, o.Kind));
        var counts = cluster.LeaderCounts();
        Assert.True(counts.Values.Max() - counts.Values.Min() <= 1, string.Join(", ", counts));
        Assert.Equal(6, ops.Count); // 10 → 4/3/3: exactly the moves needed, none back and forth.
        Assert.Empty(cluster.Runner.RunOnce());
    }

    [Fact]
    public void Balance_leader_tolerates_a_difference_of_one_and_skips_unhealthy_regions()
    {
        var cluster = Only(BalanceLeaderScheduler.SchedulerName).WithStores(1, 2, 3);
        cluster.Put(1, [1, 2, 3]);
        cluster.Put(2, [1, 2, 3]);
        cluster.Put(3, [2, 1, 3]);
        cluster.Put(4, [3, 1, 2]);
        Assert.Empty(cluster.Runner.RunOnce()); // 2/1/1.

        cluster.Put(5, [1, 2, 3], down: [502]);
        cluster.Put(6, [1, 2, 3], pending: [603]);
        cluster.Put(3, [1, 2, 3]);
        cluster.Put(4, [1, 2, 3], down: [403]);
        // 6/0/0, but only regions 1 and 2 are healthy: their leaders move, one to each store.
        var ops = cluster.Converge();
        Assert.Equal([1UL, 2, 3], ops.Select(o => o.RegionId).Order().ToArray());
        Assert.Equal(3, cluster.LeaderCounts()[1]);
    }

    [Fact]
    public void Balance_region_moves_replicas_to_an_empty_store_without_doubling_up()
    {
        var cluster = Only(BalanceRegionScheduler.SchedulerName).WithStores(1, 2, 3, 4);
        for (ulong id = 1; id <= 8; id++)
        {
            cluster.Put(id, [1, 2, 3], Stats(bytes: 100));
        }
        cluster.Put(9, [1, 2, 3], Stats(bytes: 100), pending: [902]); // Never moved: a peer is behind.
        var ops = cluster.Converge();
        Assert.All(ops, o => Assert.Equal(OperatorKind.MovePeer, o.Kind));
        Assert.DoesNotContain(ops, o => o.RegionId == 9);
        var counts = cluster.ReplicaCounts();
        Assert.True(counts.Values.Max() - counts.Values.Min() <= 1, string.Join(", ", counts));
        Assert.All(cluster.Regions(), r => Assert.Equal(3, r.Region.Peers.Select(p => p.StoreId).Distinct().Count()));
        Assert.All(cluster.Regions(), r => Assert.All(r.Region.Peers, p => Assert.False(p.IsLearner)));
    }

    [Fact]
    public void A_dry_run_of_disabled_balancers_proposes_without_starting_or_allocating()
    {
        var cluster = Only(SplitScheduler.SchedulerName).WithStores(1, 2, 3, 4);
        for (ulong id = 1; id <= 8; id++)
        {
            cluster.Put(id, [1, 2, 3], Stats(bytes: 100)); // All led by store 1; store 4 empty.
        }
        var plan = cluster.Runner.RunNow([BalanceRegionScheduler.SchedulerName, BalanceLeaderScheduler.SchedulerName], dryRun: true);
        Assert.Contains(plan.Proposed, o => o.Kind == OperatorKind.MovePeer);
        Assert.Contains(plan.Proposed, o => o.Kind == OperatorKind.TransferLeader);
        Assert.Equal(plan.Proposed.Count, plan.Proposed.Select(o => o.RegionId).Distinct().Count()); // One per region, as for real.
        Assert.Empty(cluster.Controller.Running());
        Assert.Equal(10_001UL, cluster.AllocateId()); // The fake allocator starts at 10,000: no peer id was taken.
        Assert.True(plan.Store(4)!.Replicas > 0); // The counts show what the plan would do.

        var started = cluster.Runner.RunNow([BalanceRegionScheduler.SchedulerName, BalanceLeaderScheduler.SchedulerName], dryRun: false);
        Assert.Equal(plan.Proposed.Select(o => (o.RegionId, o.Kind)), started.Proposed.Select(o => (o.RegionId, o.Kind)));
        Assert.Equal(started.Proposed.Count, cluster.Controller.Running().Length);
    }

    [Fact]
    public void Balance_region_evens_out_sizes_when_counts_allow()
    {
        var cluster = new FakeCluster(new SchedulingOptions { Enabled = [BalanceRegionScheduler.SchedulerName] }, maxReplicas: 1).WithStores(1, 2);
        cluster.Put(1, [1], Stats(bytes: 100));
        cluster.Put(2, [1], Stats(bytes: 100));
        cluster.Put(3, [1], Stats(bytes: 10));
        cluster.Put(4, [2], Stats(bytes: 10));
        cluster.Put(5, [2], Stats(bytes: 10));
        // Counts 3/2 are within tolerance; sizes 210/20 are not: the largest region under half the gap moves.
        var op = Assert.Single(cluster.Converge());
        Assert.Equal(3UL, op.RegionId);
        Assert.Contains("210 B", op.Reason);
        Assert.Equal(2UL, cluster.Region(3).Leader!.Value.StoreId);
    }

    [Fact]
    public void Hot_region_moves_the_hottest_leader_to_a_cool_follower()
    {
        var options = new SchedulingOptions { HotRegion = new HotRegionConfig { MinRegionWriteBytesPerSec = 1000 } };
        var cluster = Only(HotRegionScheduler.SchedulerName, options).WithStores(1, 2, 3);
        cluster.Put(1, [1, 2, 3], Stats(writeBytes: 50_000));
        cluster.Put(2, [1, 2, 3], Stats(writeBytes: 40_000));
        cluster.Put(3, [1, 2, 3], Stats(writeBytes: 500));
        cluster.Put(4, [2, 1, 3], Stats(writeBytes: 5_000));

        var ops = cluster.Converge();
        Assert.NotEmpty(ops);
        Assert.All(ops, o => Assert.Equal(OperatorKind.TransferLeader, o.Kind));
        Assert.NotEqual(cluster.Region(1).Leader!.Value.StoreId, cluster.Region(2).Leader!.Value.StoreId);
    }

    [Theory]
    [InlineData(30, false)]
    [InlineData(0, true)]
    public void Hot_region_leaves_a_region_it_moved_alone_until_its_cooldown_ends(int cooldownSeconds, bool movesBack)
    {
        var options = new SchedulingOptions
        {
            HotRegion = new HotRegionConfig { MinRegionWriteBytesPerSec = 1000, CooldownSeconds = cooldownSeconds, MaxOperatorsPerRound = 1 },
        };
        var cluster = Only(HotRegionScheduler.SchedulerName, options).WithStores(1, 2, 3);
        cluster.Put(1, [1, 2, 3], Stats(writeBytes: 50_000));
        cluster.Put(5, [1, 2, 3], Stats(writeBytes: 20_000));
        cluster.Put(2, [2, 1, 3], Stats(writeBytes: 1_000));
        Assert.Equal(1UL, Assert.Single(cluster.Runner.RunOnce()).RegionId);
        cluster.Settle();
        var to = cluster.Region(1).Leader!.Value.StoreId;
        Assert.NotEqual(1UL, to);

        // Figures that arrive next (stale, or a shifted load) make region 1's new store the hottest by far and
        // store 1 cool enough to take region 1 back.
        cluster.Put(3, [to, 1, to == 2 ? 3UL : 2UL], Stats(writeBytes: 30_000));
        var next = Assert.Single(cluster.Runner.RunOnce());

        Assert.Equal(movesBack ? 1UL : 3UL, next.RegionId);
    }

    [Fact]
    public void Hot_region_moves_a_replica_when_every_follower_is_on_a_hot_store()
    {
        var options = new SchedulingOptions { HotRegion = new HotRegionConfig { MinRegionWriteBytesPerSec = 1000 } };
        var cluster = Only(HotRegionScheduler.SchedulerName, options).WithStores(1, 2, 3, 4);
        cluster.Put(1, [1, 2, 3], Stats(writeBytes: 50_000));
        cluster.Put(2, [1, 2, 3], Stats(writeBytes: 50_000));
        cluster.Put(3, [2, 1, 3], Stats(writeBytes: 50_000));
        cluster.Put(4, [3, 1, 2], Stats(writeBytes: 50_000));
        var op = Assert.Single(cluster.Runner.RunOnce());
        Assert.Equal(OperatorKind.MovePeer, op.Kind);
        Assert.Equal(4UL, op.AddsOn.Single());
        Assert.Equal(1UL, op.RemovesFrom.Single());
        cluster.Settle();
        Assert.NotNull(cluster.Region(op.RegionId).Region.PeerOnStore(4));
        Assert.Null(cluster.Region(op.RegionId).Region.PeerOnStore(1));
    }

    [Fact]
    public void Replica_repair_replaces_peers_on_a_down_store()
    {
        var cluster = Only(ReplicaRepairScheduler.SchedulerName).WithStores(1, 2, 3, 4);
        cluster.Put(1, [1, 2, 3]);
        cluster.Put(2, [2, 3, 4]);
        cluster.SetState(3, StoreState.Disconnected);
        Assert.Empty(cluster.Runner.RunOnce()); // Disconnected is not down yet.
        cluster.SetState(3, StoreState.Down);
        var ops = cluster.Converge();
        Assert.Equal(2, ops.Count);
        Assert.All(ops, o => Assert.Equal(OperatorKind.RepairReplica, o.Kind));
        Assert.Equal([1UL, 2, 4], cluster.Region(1).Region.Peers.Select(p => p.StoreId).Order().ToArray());
        Assert.Equal([1UL, 2, 4], cluster.Region(2).Region.Peers.Select(p => p.StoreId).Order().ToArray());
    }

    [Fact]
    public void Replica_repair_respects_max_replicas_and_cleans_up_leftovers()
    {
        var cluster = Only(ReplicaRepairScheduler.SchedulerName).WithStores(1, 2, 3, 4, 5);
        cluster.Put(1, [1, 2, 3, 4]); // Four voters: store 4 is down, so it is just removed.
        cluster.Put(2, [1, 2]); // Two voters: one more.
        var withLearner = cluster.Put(3, [1, 2, 3]);
        cluster.Replace(withLearner with { Region = withLearner.Region with { Peers = [.. withLearner.Region.Peers, new PeerInfo(999, 5, true)] } });
        cluster.Put(4, [1, 2, 3]); // Nothing to do.
        cluster.SetState(4, StoreState.Down);
        var ops = cluster.Converge();
        Assert.Equal([1UL, 2, 3], ops.Select(o => o.RegionId).Order().ToArray());
        Assert.All(cluster.Regions(), r => Assert.Equal(3, r.Region.Peers.Length));
        Assert.All(cluster.Regions(), r => Assert.All(r.Region.Peers, p => Assert.False(p.IsLearner)));
        Assert.Contains("down store 4", ops.Single(o => o.RegionId == 1).Reason);
    }

    [Fact]
    public void Replica_repair_waits_when_no_store_can_take_the_replacement()
    {
        var cluster = Only(ReplicaRepairScheduler.SchedulerName).WithStores(1, 2, 3);
        cluster.Put(1, [1, 2, 3]);
        cluster.SetState(3, StoreState.Down);
        Assert.Empty(cluster.Runner.RunOnce());
    }

    [Fact]
    public void Schedulers_can_be_listed_disabled_and_reconfigured()
    {
        var cluster = new FakeCluster(new SchedulingOptions { Split = new SplitConfig { MaxKeys = 10 } }).WithStores(1, 2, 3);
        Assert.Equal(SchedulerRunner.AllNames, cluster.Runner.Schedulers.Select(s => s.Name));
        Assert.All(cluster.Runner.Schedulers, s => Assert.True(s.Enabled));
        cluster.Put(1, [1, 2, 3], Stats(keys: 20));

        Assert.True(cluster.Runner.SetEnabled(SplitScheduler.SchedulerName, false));
        Assert.False(cluster.Runner.SetEnabled("no-such", false));
        Assert.Empty(cluster.Runner.RunOnce());

        Assert.True(cluster.Runner.SetEnabled(SplitScheduler.SchedulerName, true));
        var split = cluster.Runner.Find(SplitScheduler.SchedulerName)!;
        split.Configure(new SplitConfig { MaxKeys = 100 });
        Assert.Equal(100UL, ((SplitConfig)split.ConfigObject).MaxKeys);
        Assert.Empty(cluster.Runner.RunOnce());
        Assert.Throws<ArgumentException>(() => split.Configure(new BalanceLeaderConfig()));
        Assert.ThrowsAny<ArgumentException>(() => split.Configure(new SplitConfig { MaxKeys = 0 }));
        split.Configure(new SplitConfig { MaxKeys = 20 });
        Assert.Single(cluster.Runner.RunOnce());
    }

    [Fact]
    public void An_unknown_scheduler_name_in_the_options_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new FakeCluster(new SchedulingOptions { Enabled = ["balance-leaders"] }));
    }
}
