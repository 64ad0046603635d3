using MultiRaft.PlacementDriver.Scheduling;
using MultiRaft.Protocol.Metadata;

namespace MultiRaft.PlacementDriver.Tests;

public class OperatorControllerTests
{
    private static FakeCluster Cluster(OperatorLimits? limits = null) =>
        new FakeCluster(new SchedulingOptions { Enabled = [], Limits = limits ?? new OperatorLimits() }).WithStores(1, 2, 3, 4);

    [Fact]
    public void A_move_advances_step_by_step_as_heartbeats_show_each_step_done()
    {
        var cluster = Cluster();
        var region = cluster.Put(1, [1, 2, 3]).Region;
        var target = new PeerInfo(500, 4, true);
        Assert.True(cluster.Controller.TryAdd(Operator.MovePeer(region, region.Peers[2], target, "test", "because"), out _));

        var add = cluster.Heartbeat(1)!;
        Assert.Equal(target, add.AddLearner);
        Assert.Equal(region.Epoch, add.Epoch);
        Assert.Equal(add, cluster.Heartbeat(1)); // Not done yet: sent again.

        cluster.Apply(add);
        var swap = cluster.Heartbeat(1)!;
        Assert.Equal(500UL, swap.SwapVoter!.Learner.Id);
        Assert.Equal(region.Peers[2].Id, swap.SwapVoter.Demoted.Id);
        Assert.Equal(new EpochInfo(2, 1), swap.Epoch);
        Assert.Equal(1, cluster.Controller.Running()[0].CurrentStep);

        cluster.Apply(swap);
        var remove = cluster.Heartbeat(1)!;
        Assert.Equal(region.Peers[2].Id, remove.RemovePeer!.Value.Id);

        cluster.Apply(remove);
        Assert.Null(cluster.Heartbeat(1));
        Assert.Empty(cluster.Controller.Running());
        var done = Assert.Single(cluster.Controller.History());
        Assert.Equal(OperatorState.Finished, done.State);
        Assert.Equal("because", done.Reason);
        Assert.Equal(3, done.Steps.Length);
        Assert.Equal([1UL, 2, 4], cluster.Region(1).Region.Peers.Select(p => p.StoreId));
    }

    [Fact]
    public void Moving_the_leaders_replica_hands_leadership_to_another_voter_before_the_swap()
    {
        var cluster = Cluster();
        var state = cluster.Put(1, [1, 2, 3]);
        var leader = state.Leader!.Value;
        Assert.True(cluster.Controller.TryAdd(Operator.MovePeer(state.Region, leader, new PeerInfo(500, 4, true), "test", "hot"), out _));
        cluster.Apply(cluster.Heartbeat(1)!); // Add the learner.

        var transfer = cluster.Heartbeat(1)!;
        Assert.NotNull(transfer.TransferLeaderToPeer);
        Assert.NotEqual(leader.Id, transfer.TransferLeaderToPeer);
        Assert.NotEqual(500UL, transfer.TransferLeaderToPeer);
        cluster.Apply(transfer);
        var swap = cluster.Heartbeat(1)!;
        Assert.Equal(leader.Id, swap.SwapVoter!.Demoted.Id);

        cluster.Settle();
        Assert.Equal(OperatorState.Finished, Assert.Single(cluster.Controller.History()).State);
        Assert.Equal([2UL, 3, 4], cluster.Region(1).Region.Peers.Select(p => p.StoreId).Order().ToArray());
        Assert.All(cluster.Region(1).Region.Peers, p => Assert.False(p.IsLearner));
    }

    [Fact]
    public void A_learner_or_a_lone_voter_is_moved_by_promotion_since_there_is_no_voter_to_swap_with()
    {
        var lone = new RegionInfo(1, [], [], new EpochInfo(1, 1), [new PeerInfo(11, 1, false)]);
        var move = Operator.MovePeer(lone, lone.Peers[0], new PeerInfo(500, 2, true), "test", "lone");
        Assert.IsType<PromoteLearnerAction>(move.Actions[1]);

        var three = new RegionInfo(2, [], [], new EpochInfo(1, 1), [new PeerInfo(21, 1, false), new PeerInfo(22, 2, false), new PeerInfo(23, 3, true)]);
        Assert.IsType<PromoteLearnerAction>(Operator.MovePeer(three, three.Peers[2], new PeerInfo(501, 4, true), "test", "learner").Actions[1]);
        Assert.IsType<SwapVoterAction>(Operator.MovePeer(three, three.Peers[1], new PeerInfo(502, 4, true), "test", "voter").Actions[1]);
    }

    [Fact]
    public void Leader_transfer_and_split_finish_when_the_leader_changes_or_the_version_grows()
    {
        var cluster = Cluster();
        var a = cluster.Put(1, [1, 2, 3]).Region;
        var b = cluster.Put(2, [1, 2, 3]).Region;
        Assert.True(cluster.Controller.TryAdd(Operator.TransferLeader(a, a.Peers[1], "test", "leaders"), out _));
        Assert.True(cluster.Controller.TryAdd(Operator.Split(b, [], "test", "size"), out _));

        var transfer = cluster.Heartbeat(1)!;
        Assert.Equal(a.Peers[1].Id, transfer.TransferLeaderToPeer);
        var split = cluster.Heartbeat(2)!;
        Assert.Empty(split.Split!.SplitKeys);
        Assert.Empty(split.Split.NewRegionIds);

        cluster.Apply(transfer);
        cluster.Apply(split);
        Assert.Null(cluster.Heartbeat(1));
        Assert.Null(cluster.Heartbeat(2));
        Assert.All(cluster.Controller.History(), v => Assert.Equal(OperatorState.Finished, v.State));
    }

    [Fact]
    public void One_operator_per_region()
    {
        var cluster = Cluster();
        var region = cluster.Put(1, [1, 2, 3]).Region;
        Assert.True(cluster.Controller.TryAdd(Operator.TransferLeader(region, region.Peers[1], "test", "one"), out _));
        Assert.False(cluster.Controller.TryAdd(Operator.Split(region, [], "test", "two"), out var refusal));
        Assert.Contains("already runs", refusal);
    }

    [Fact]
    public void An_epoch_change_the_operator_did_not_cause_cancels_it()
    {
        var cluster = Cluster();
        var region = cluster.Put(1, [1, 2, 3]).Region;
        Assert.True(cluster.Controller.TryAdd(Operator.MovePeer(region, region.Peers[0], new PeerInfo(500, 4, true), "test", "move"), out _));
        Assert.NotNull(cluster.Heartbeat(1));

        // Someone else split the region meanwhile.
        cluster.Replace(cluster.Region(1) with { Region = region with { Epoch = new EpochInfo(1, 2) } });
        Assert.Null(cluster.Heartbeat(1));
        var cancelled = Assert.Single(cluster.Controller.History());
        Assert.Equal(OperatorState.Cancelled, cancelled.State);
        Assert.Contains("epoch changed", cancelled.Outcome);
        Assert.False(cluster.Controller.HasOperator(1));
    }

    [Fact]
    public void Steps_time_out_leader_transfers_sooner_than_membership_changes()
    {
        var cluster = Cluster(new OperatorLimits { LeaderTransferTimeout = TimeSpan.FromSeconds(10), MembershipStepTimeout = TimeSpan.FromSeconds(60) });
        var a = cluster.Put(1, [1, 2, 3]).Region;
        var b = cluster.Put(2, [1, 2, 3]).Region;
        Assert.True(cluster.Controller.TryAdd(Operator.TransferLeader(a, a.Peers[1], "test", "leaders"), out _));
        Assert.True(cluster.Controller.TryAdd(Operator.MovePeer(b, b.Peers[0], new PeerInfo(500, 4, true), "test", "move"), out _));

        cluster.Clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(1, cluster.Controller.CheckTimeouts());
        Assert.False(cluster.Controller.HasOperator(1));
        Assert.True(cluster.Controller.HasOperator(2));

        // Progress restarts the clock of the next step.
        cluster.Apply(cluster.Heartbeat(2)!);
        Assert.NotNull(cluster.Heartbeat(2));
        cluster.Clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, cluster.Controller.CheckTimeouts());
        cluster.Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(cluster.Heartbeat(2)); // Found late on its heartbeat as well.
        Assert.All(cluster.Controller.History(), v => Assert.Equal(OperatorState.TimedOut, v.State));
        Assert.Contains("not done within 60 s", cluster.Controller.History()[1].Outcome);
    }

    [Fact]
    public void Per_store_limits_bound_replica_operators_and_leader_transfers()
    {
        var cluster = Cluster(new OperatorLimits { MaxReplicaOperatorsPerStore = 2, MaxLeaderTransfersPerStore = 1 });
        for (ulong id = 1; id <= 4; id++)
        {
            cluster.Put(id, [1, 2, 3]);
        }
        var moves = Enumerable.Range(1, 3).Select(i =>
        {
            var region = cluster.Region((ulong)i).Region;
            return Operator.MovePeer(region, region.Peers[2], new PeerInfo(500 + (ulong)i, 4, true), "test", "move");
        }).ToList();
        Assert.True(cluster.Controller.TryAdd(moves[0], out _));
        Assert.True(cluster.Controller.TryAdd(moves[1], out _));
        Assert.False(cluster.Controller.TryAdd(moves[2], out var refusal));
        Assert.Contains("store 4", refusal); // Stores 3 (source) and 4 (target) are both at 2.

        var r4 = cluster.Region(4).Region;
        Assert.True(cluster.Controller.TryAdd(Operator.TransferLeader(r4, r4.Peers[1], "test", "t"), out _));
        Assert.True(cluster.Controller.Cancel(4, "by hand"));
        Assert.True(cluster.Controller.TryAdd(Operator.TransferLeader(r4, r4.Peers[1], "test", "t"), out _));
        var r3 = cluster.Region(3).Region;
        Assert.False(cluster.Controller.TryAdd(Operator.TransferLeader(r3, r3.Peers[1], "test", "t"), out refusal));
        Assert.Contains("receives 1 leaders", refusal);
    }

    [Fact]
    public void History_keeps_the_most_recent_ended_operators()
    {
        var cluster = Cluster(new OperatorLimits { HistorySize = 3 });
        for (ulong id = 1; id <= 5; id++)
        {
            var region = cluster.Put(id, [1, 2, 3]).Region;
            Assert.True(cluster.Controller.TryAdd(Operator.Split(region, [], "test", $"split {id}"), out _));
            Assert.True(cluster.Controller.Cancel(id, "by hand"));
        }
        Assert.Equal(["split 3", "split 4", "split 5"], cluster.Controller.History().Select(v => v.Reason));
        Assert.All(cluster.Controller.History(), v => Assert.Equal("by hand", v.Outcome));
    }

    [Fact]
    public async Task Concurrent_heartbeats_are_answered_consistently()
    {
        var cluster = Cluster();
        for (ulong id = 1; id <= 50; id++)
        {
            var region = cluster.Put(id, [1, 2, 3]).Region;
            Assert.True(cluster.Controller.TryAdd(Operator.TransferLeader(region, region.Peers[1], "test", "t"), out _) || id > 8);
        }
        var heartbeats = Enumerable.Range(1, 50).Select(i => cluster.HeartbeatOf(cluster.Region((ulong)i))).ToArray();
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            heartbeats.Select(h => cluster.Controller.NextStep(h, h.Region!)).Count(s => s is not null))));
        Assert.All(answers, count => Assert.Equal(cluster.Controller.Running().Length, count));
    }
}
