namespace MultiRaft.Raft.Tests;

/// <summary>Commitment (Raft §5.3, §5.4.2): an entry is committed once a majority stores it, but a leader
/// only counts replicas for entries of its own term; committed entries are applied in order, exactly once.</summary>
public class CommitTests
{
    private static readonly ulong[] Five = [1, 2, 3, 4, 5];

    [Fact]
    public void Entry_is_committed_once_a_majority_stores_it_and_not_before()
    {
        var cluster = new TestCluster(5, Drive.Plain);
        cluster.Elect(1);
        cluster.Isolate(4);
        cluster.Isolate(5);

        var first = cluster[1].Propose("stored-on-three");
        cluster.Deliver();
        Assert.Equal(first.Index, cluster[1].Node.CommitIndex); // leader, 2 and 3: three of five

        cluster.Isolate(3);
        var second = cluster[1].Propose("stored-on-two");
        cluster.Deliver();
        Assert.Equal(first.Index, cluster[1].Node.CommitIndex); // leader and 2: not a majority
        Assert.Equal(second.Index, cluster[2].Node.LastIndex);
        Assert.DoesNotContain("stored-on-two", cluster[1].AppliedCommands);

        cluster.Heal();
        // One heartbeat round lets the leader resume the cut-off followers; the next tells the ones that
        // acknowledged after the commit point what is committed.
        cluster.TickAll(4);
        Assert.Equal(second.Index, cluster[1].Node.CommitIndex);
        Assert.All(cluster.Peers.Values, p => Assert.Equal(["stored-on-three", "stored-on-two"], p.AppliedCommands));
    }

    [Fact]
    public void Leader_does_not_commit_an_entry_of_an_earlier_term_by_counting_replicas()
    {
        // Leader of term 3 whose log ends with entry 2 of term 2 (never committed by its own leader).
        var storage = Drive.Storage(Five, [1, 2], commit: 1, term: 2);
        var node = Drive.Node(1, storage, Drive.Plain);
        Drive.MakeLeader(node, storage, ack: false);
        Assert.Equal(3UL, node.Term);
        Assert.Equal(3UL, node.LastIndex);

        // Two followers acknowledge entry 2 only: with the leader, a majority stores it...
        node.Step(Drive.AppendAck(2, 1, 3, 2));
        node.Step(Drive.AppendAck(3, 1, 3, 2));
        Drive.Flush(node, storage);
        Assert.Equal(1UL, node.CommitIndex); // ...but it is of term 2, so counting replicas does not commit it

        // Once an entry of the leader's own term is on a majority, it and everything before it commit.
        node.Step(Drive.AppendAck(2, 1, 3, 3));
        Assert.Equal(1UL, node.CommitIndex);
        node.Step(Drive.AppendAck(3, 1, 3, 3));
        Assert.Equal(3UL, node.CommitIndex);
    }

    [Fact]
    public void Figure_8_entry_of_an_older_term_on_a_majority_is_not_committed_and_may_be_overwritten()
    {
        // Raft paper figure 8, five servers. One entry per append so that each entry travels alone.
        var net = new StepNetwork(5, c => Drive.Plain(c) with { MaxSizePerMessage = 1 });
        net.Campaign(1);
        net.Tick(1, 2); // a heartbeat tells every follower the commit index
        Assert.Equal((RaftRole.Leader, 1UL), (net[1].Role, net[1].Term));
        Assert.All(net.Nodes.Values, n => Assert.Equal(1UL, n.CommitIndex));

        // (a) S1 leads term 1 and writes "a" at index 2 (term 1) to its own log, then crashes.
        net.Lose = m => m.From == 1;
        Assert.Equal(2UL, net.Propose(1, "a").Index);
        net.Run();
        net.Crash(1);
        net.Lose = _ => false;

        // (b) S5 is elected for term 2 by S3, S4 (and S5), writes index 2 in term 2, and crashes before sending it.
        net.Lose = m => m.From == 5 && m.Type == MessageType.Append;
        net.Campaign(5);
        Assert.Equal((RaftRole.Leader, 2UL, 2UL), (net[5].Role, net[5].Term, net[5].LastIndex));
        net.Crash(5);
        net.Lose = _ => false;

        // (c) S1 restarts and is elected for term 3 (its first try, in term 2, finds the votes taken). It
        // replicates index 2 (term 1) to S2 and S3, but crashes before its own term-3 entry leaves.
        net.Restart(1);
        net.Campaign(1);
        Assert.Equal(RaftRole.Follower, net[1].Role);
        net.Lose = m => m.From == 1 && m.Type == MessageType.Append
            && (m.To == 4 || m.Entries.ToArray().Any(e => e.Term == 3) && net[m.To].LastIndex >= 2);
        net.Campaign(1);
        Assert.Equal((RaftRole.Leader, 3UL), (net[1].Role, net[1].Term));
        Assert.All(new ulong[] { 1, 2, 3 }, id => Assert.Equal(1UL, net[id].Log.TermOrZero(2)));
        Assert.Equal(2UL, net[1].Progress[2].Match);
        Assert.Equal(2UL, net[1].Progress[3].Match);
        // Index 2 is stored on S1, S2, S3 — a majority — and the leader knows it; it is not committed.
        Assert.Equal(1UL, net[1].CommitIndex);
        net.Crash(1);
        net.Lose = _ => false;

        // (d) S5 restarts and wins term 4 with votes from S2, S3, S4 (its last term, 2, beats their 1), then
        // overwrites index 2 everywhere. Had S1 committed "a", this would have lost a committed entry.
        net.Restart(5);
        net.Campaign(5);
        net.Campaign(5);
        Assert.Equal((RaftRole.Leader, 4UL), (net[5].Role, net[5].Term));
        net.Tick(5, 2);
        foreach (var id in new ulong[] { 2, 3, 4, 5 })
        {
            Assert.Equal(new ulong[] { 1, 2, 4 }, Drive.Terms(net[id]));
            Assert.Equal(3UL, net[id].CommitIndex);
        }
        Assert.All(net.Applied.Values, applied => Assert.DoesNotContain(applied, e => StepNetwork.Text(e) == "a"));
    }

    [Fact]
    public void Figure_8_once_an_entry_of_the_current_term_is_on_a_majority_earlier_entries_commit_with_it()
    {
        // Same as above up to (c), but S1's term-3 entry reaches S2 and S3 before it crashes (figure 8 (e)).
        var net = new StepNetwork(5, c => Drive.Plain(c) with { MaxSizePerMessage = 1 });
        net.Campaign(1);
        net.Lose = m => m.From == 1;
        net.Propose(1, "a");
        net.Run();
        net.Crash(1);
        net.Lose = m => m.From == 5 && m.Type == MessageType.Append;
        net.Campaign(5);
        net.Crash(5);
        net.Lose = _ => false;
        net.Restart(1);
        net.Campaign(1);
        net.Lose = m => m.From == 1 && m.To == 4 && m.Type == MessageType.Append;
        net.Campaign(1);

        Assert.Equal((RaftRole.Leader, 3UL), (net[1].Role, net[1].Term));
        Assert.Equal(3UL, net[1].CommitIndex); // index 3 (term 3) commits, and index 2 ("a") with it
        Assert.Contains(net.Applied[1], e => StepNetwork.Text(e) == "a");
        net.Crash(1);
        net.Lose = _ => false;

        // S5 can no longer win: S2 and S3 hold a later last term than S5.
        net.Restart(5);
        for (var i = 0; i < 3; i++)
        {
            net.Campaign(5);
        }
        Assert.NotEqual(RaftRole.Leader, net[5].Role);
        Assert.All(new ulong[] { 2, 3 }, id => Assert.Equal(new ulong[] { 1, 1, 3 }, Drive.Terms(net[id])));
    }

    [Fact]
    public void Committed_entries_are_applied_in_index_order_exactly_once_despite_leader_changes()
    {
        var cluster = new TestCluster(3, seed: 9);
        cluster.Elect(1);
        for (var i = 0; i < 5; i++)
        {
            cluster[1].Propose($"a{i}");
        }
        cluster.Deliver();
        cluster.Isolate(1);
        cluster.TickAll(40); // 1 steps down (check-quorum); 2 or 3 takes over
        var leader = cluster.Leader;
        Assert.NotEqual(1UL, leader);
        for (var i = 0; i < 5; i++)
        {
            cluster[leader].Propose($"b{i}");
            cluster.Deliver();
        }
        cluster.Heal();
        cluster.TickAll(20);

        string[] expected = ["a0", "a1", "a2", "a3", "a4", "b0", "b1", "b2", "b3", "b4"];
        foreach (var peer in cluster.Peers.Values)
        {
            Assert.Equal(expected, peer.AppliedCommands);
            var indexes = peer.Applied.Select(e => e.Index).ToList();
            Assert.Equal(indexes.Order(), indexes);
            Assert.Equal(indexes.Distinct().Count(), indexes.Count);
        }
    }

    [Fact]
    public void Restarted_node_told_what_it_applied_does_not_apply_those_entries_again()
    {
        var cluster = new TestCluster(3, seed: 9);
        cluster.Elect(1);
        for (var i = 0; i < 4; i++)
        {
            cluster[1].Propose($"c{i}");
        }
        cluster.Deliver();
        var before = cluster[2].Applied.ToList();
        var appliedIndex = cluster[2].Node.AppliedIndex;
        Assert.Equal(4, before.Count);

        cluster.Restart(2, c => c with { Applied = appliedIndex });
        Assert.Equal(appliedIndex, cluster[2].Node.AppliedIndex);
        cluster.TickAll(3);
        cluster[1].Propose("after-restart");
        cluster.Deliver();

        var after = cluster[2].Applied;
        Assert.Equal(["after-restart"], cluster[2].AppliedCommands);
        Assert.All(after, e => Assert.True(e.Index > appliedIndex));
        var all = before.Concat(after).Select(e => e.Index).ToList();
        Assert.Equal(all.Distinct().Order(), all);
    }

    [Fact]
    public void Restarted_node_whose_last_commit_index_write_was_not_synced_does_not_apply_entries_twice()
    {
        // A commit-only hard state change need not be synced (MustSync is false), while the application
        // may persist its applied index durably: after a crash the persisted commit can lag what was applied.
        var cluster = new TestCluster(3, seed: 9);
        cluster.Elect(1);
        for (var i = 0; i < 4; i++)
        {
            cluster[1].Propose($"c{i}");
        }
        cluster.Deliver();
        var storage = cluster[2].Storage;
        var appliedIndex = cluster[2].Node.AppliedIndex;
        Assert.Equal(5UL, appliedIndex);
        storage.SetHardState(storage.HardState with { Commit = 2 }); // the unsynced commit write was lost

        cluster.Restart(2, c => c with { Applied = appliedIndex });
        Assert.Equal((appliedIndex, appliedIndex), (cluster[2].Node.AppliedIndex, cluster[2].Node.CommitIndex));
        cluster.TickAll(3);
        cluster[1].Propose("after-restart");
        cluster.Deliver();

        Assert.Equal(["after-restart"], cluster[2].AppliedCommands); // not c1, c2, c3 a second time
        Assert.All(cluster[2].Applied, e => Assert.True(e.Index > appliedIndex));
    }

    [Fact]
    public void Restarted_node_without_an_applied_index_replays_the_committed_log_in_order_from_the_start()
    {
        var cluster = new TestCluster(3, seed: 9);
        cluster.Elect(1);
        cluster[1].Propose("x");
        cluster[1].Propose("y");
        cluster.Deliver();

        cluster.Restart(3);
        cluster.TickAll(3);

        // The state machine restarts empty too, so replaying the persisted committed prefix is exactly once.
        Assert.Equal(["x", "y"], cluster[3].AppliedCommands);
    }
}
