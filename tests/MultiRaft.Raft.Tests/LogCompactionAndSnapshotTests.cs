using MultiRaft.Raft.Tracker;
using static MultiRaft.Raft.Tests.RaftTestHelpers;

namespace MultiRaft.Raft.Tests;

/// <summary>Raft §7: log compaction, InstallSnapshot, and recovery from snapshot plus log.</summary>
public class LogCompactionAndSnapshotTests
{
    /// <summary>Three voters; node 1 leads; node 3 is cut off while <paramref name="commands"/> commit on 1
    /// and 2; the leader then compacts its log through what it applied.</summary>
    private static (TestCluster Cluster, Snapshot Snapshot) FollowerBehindCompactedLeader(params string[] commands)
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Isolate(3);
        cluster.ProposeAll(cluster[1], commands);
        var snapshot = cluster[1].CompactToApplied();
        return (cluster, snapshot);
    }

    [Fact]
    public void Compaction_discards_entries_through_the_snapshot_index_and_keeps_that_entrys_term()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        var leader = cluster[1];
        cluster.ProposeAll(leader, "a", "b", "c");
        var index = leader.Node.AppliedIndex;

        var snapshot = leader.CompactToApplied();

        Assert.Equal(index, snapshot.Metadata.Index);
        Assert.Equal(leader.Node.Term, snapshot.Metadata.Term);
        Assert.Equal(Voters(1, 2, 3), snapshot.Metadata.ConfState);
        Assert.Equal("a,b,c", Text(snapshot.Data));
        Assert.Equal(index + 1, leader.Storage.FirstIndex);
        Assert.Equal(index + 1, leader.Node.FirstIndex);
        Assert.Equal(LogRead.Ok, leader.Storage.Term(index, out var term));
        Assert.Equal(leader.Node.Term, term);
        Assert.Equal(LogRead.Compacted, leader.Storage.Entries(index, index + 1, long.MaxValue, []));
        Assert.Equal(LogRead.Compacted, leader.Storage.Term(index - 1, out _));

        // The group keeps working after compaction.
        cluster.ProposeAll(leader, "d");
        Assert.All(cluster.Peers.Values, p => Assert.Equal(["a", "b", "c", "d"], p.AppliedCommands));
    }

    [Fact]
    public void A_follower_that_missed_appends_catches_up_from_the_log_at_the_next_heartbeat()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Isolate(3);
        cluster.ProposeAll(cluster[1], "a", "b");
        Assert.Empty(cluster[3].AppliedCommands);

        cluster.Heal();
        cluster.TickAll(2 * cluster[1].Node.Progress.Count);

        Assert.Equal(["a", "b"], cluster[3].AppliedCommands);
        Assert.Equal(cluster[1].Node.LastIndex, cluster[1].Node.Progress[3].Match);
    }

    [Fact]
    public void A_follower_behind_the_leaders_first_index_receives_InstallSnapshot_installs_it_and_catches_up()
    {
        var (cluster, snapshot) = FollowerBehindCompactedLeader("a", "b", "c");
        var follower = cluster[3];

        cluster.Heal();
        cluster.TickAll(4);

        var sent = Assert.Single(cluster.Delivered, m => m.Type == MessageType.InstallSnapshot);
        Assert.Equal((1UL, 3UL), (sent.From, sent.To));
        Assert.Equal(snapshot.Metadata.Index, sent.Snapshot!.Metadata.Index);
        Assert.Equal("a,b,c", Text(sent.Snapshot.Data));
        Assert.Equal(snapshot.Metadata.Index, follower.Storage.Snapshot()!.Metadata.Index);
        Assert.Equal(snapshot.Metadata.Index + 1, follower.Node.FirstIndex);
        Assert.Equal(cluster[1].Node.CommitIndex, follower.Node.CommitIndex);
        Assert.Equal(ProgressState.Replicate, cluster[1].Node.Progress[3].State);
        // The commands inside the snapshot were installed, not replayed entry by entry.
        Assert.Empty(follower.AppliedCommands);

        cluster.ProposeAll(cluster[1], "d");
        Assert.Equal(["d"], follower.AppliedCommands);
        Assert.Equal(cluster[1].Node.AppliedIndex, follower.Node.AppliedIndex);
    }

    [Fact]
    public void A_follower_that_installs_a_snapshot_adopts_the_membership_recorded_in_it()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Isolate(3);
        Assert.True(cluster[1].Node.ProposeConfChange(ConfChange.AddLearner(4)).IsAccepted);
        cluster.Deliver();
        var snapshot = cluster[1].CompactToApplied();
        Assert.Equal([4UL], snapshot.Metadata.ConfState.Learners);

        cluster.Heal();
        cluster.TickAll(4);

        Assert.Contains(cluster.Delivered, m => m.Type == MessageType.InstallSnapshot && m.To == 3);
        Assert.Equal(snapshot.Metadata.ConfState, cluster[3].Node.ConfState);
        // Node 3 never applied the AddLearner entry itself: the membership came with the snapshot.
        Assert.Empty(cluster[3].ConfStates);
    }

    [Fact]
    public void ReportSnapshot_failure_sends_the_follower_back_to_probe_from_its_match_and_the_snapshot_is_sent_again()
    {
        var (cluster, snapshot) = FollowerBehindCompactedLeader("a", "b");
        var leader = cluster[1].Node;
        cluster.Heal();
        cluster.Drop(MessageType.InstallSnapshot);
        cluster.TickAll(4);
        var progress = leader.Progress[3];
        Assert.Equal(ProgressState.Snapshot, progress.State);
        Assert.Equal(snapshot.Metadata.Index, progress.PendingSnapshot);
        Assert.True(progress.IsPaused);
        var match = progress.Match;
        Assert.True(match < snapshot.Metadata.Index);

        leader.ReportSnapshot(3, succeeded: false);

        Assert.Equal(ProgressState.Probe, progress.State);
        Assert.Equal(match + 1, progress.Next);
        Assert.Equal(0UL, progress.PendingSnapshot);

        cluster.Allow(MessageType.InstallSnapshot);
        cluster.TickAll(4);
        Assert.Equal(snapshot.Metadata.Index + 1, cluster[3].Node.FirstIndex);
        Assert.Equal(leader.LastIndex, leader.Progress[3].Match);
        Assert.Equal(ProgressState.Replicate, leader.Progress[3].State);
    }

    [Fact]
    public void ReportSnapshot_success_sends_the_follower_back_to_probe_just_past_the_snapshot()
    {
        var (cluster, snapshot) = FollowerBehindCompactedLeader("a", "b");
        var leader = cluster[1].Node;
        cluster.Heal();
        cluster.Hold = m => m.Type == MessageType.InstallSnapshot;
        cluster.TickAll(4);
        var inFlight = Assert.Single(cluster.Held);
        var progress = leader.Progress[3];
        Assert.Equal(ProgressState.Snapshot, progress.State);

        leader.ReportSnapshot(3, succeeded: true);

        Assert.Equal(ProgressState.Probe, progress.State);
        Assert.Equal(snapshot.Metadata.Index + 1, progress.Next);
        // It waits for the follower to answer before probing, since the snapshot may still be installing.
        Assert.True(progress.IsPaused);

        cluster.Hold = null;
        cluster.Release(inFlight);
        cluster.TickAll(2);
        Assert.Equal(leader.LastIndex, leader.Progress[3].Match);
        Assert.Equal(leader.CommitIndex, cluster[3].Node.CommitIndex);
    }

    [Fact]
    public void ReportSnapshot_is_ignored_for_a_follower_that_is_not_receiving_a_snapshot()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        var progress = cluster[1].Node.Progress[2];
        Assert.Equal(ProgressState.Replicate, progress.State);
        var next = progress.Next;

        cluster[1].Node.ReportSnapshot(2, succeeded: false);

        Assert.Equal(ProgressState.Replicate, progress.State);
        Assert.Equal(next, progress.Next);
    }

    [Fact]
    public void A_snapshot_older_than_the_followers_commit_index_is_not_installed()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.ProposeAll(cluster[1], "a", "b");
        var follower = cluster[3];
        var committed = follower.Node.CommitIndex;
        var stale = new Snapshot(new SnapshotMetadata(1, 1, Voters(1, 2)), Bytes("old"));

        follower.Node.Step(new Message { Type = MessageType.InstallSnapshot, From = 1, To = 3, Term = cluster[1].Node.Term, Snapshot = stale });
        cluster.Deliver();

        Assert.Equal(1UL, follower.Node.FirstIndex);
        Assert.Equal(Voters(1, 2, 3), follower.Node.ConfState);
        var answer = cluster.Delivered.Last(m => m.From == 3 && m.Type == MessageType.AppendResponse);
        Assert.Equal(committed, answer.Index);
        Assert.False(answer.Reject);
    }

    [Fact]
    public void A_restarted_node_recovers_from_its_snapshot_plus_the_log_after_it()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.ProposeAll(cluster[1], "a", "b");
        var snapshot = cluster[2].CompactToApplied();
        cluster.ProposeAll(cluster[1], "c");
        Assert.True(cluster[1].Node.ProposeConfChange(ConfChange.AddLearner(4)).IsAccepted);
        cluster.Deliver();
        var before = cluster[2].Node;
        var (term, commit, last) = (before.Term, before.CommitIndex, before.LastIndex);

        var restarted = cluster.Restart(2);

        Assert.Equal(term, restarted.Node.Term);
        Assert.Equal(commit, restarted.Node.CommitIndex);
        Assert.Equal(last, restarted.Node.LastIndex);
        Assert.Equal(snapshot.Metadata.Index + 1, restarted.Node.FirstIndex);
        Assert.Equal(snapshot.Metadata.Index, restarted.Node.AppliedIndex);
        // Membership as of the snapshot until the entries after it are applied again.
        Assert.Equal(Voters(1, 2, 3), restarted.Node.ConfState);

        cluster.Deliver();

        Assert.Equal(["c"], restarted.AppliedCommands);
        Assert.Equal(commit, restarted.Node.AppliedIndex);
        Assert.Equal([4UL], restarted.Node.ConfState.Learners);

        cluster.ProposeAll(cluster[1], "d");
        Assert.Equal(["c", "d"], restarted.AppliedCommands);
    }
}
