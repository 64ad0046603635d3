namespace MultiRaft.Raft.Tests;

/// <summary>Raft §3.10: leadership transfer. The leader catches the target up, stops accepting proposals,
/// sends TimeoutNow, and the target campaigns at once; the transfer aborts after an election timeout.</summary>
public class LeaderTransferTests
{
    [Fact]
    public void The_leader_catches_the_target_up_then_sends_TimeoutNow_and_the_target_becomes_leader()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Cut(1, 2);
        cluster.ProposeAll(cluster[1], "a", "b");
        cluster.Heal();
        var leader = cluster[1].Node;
        var term = leader.Term;
        var last = leader.LastIndex;
        Assert.True(leader.Progress[2].Match < last);
        var before = cluster.Delivered.Count;

        Assert.Equal(ProposalStatus.Accepted, leader.TransferLeader(2));
        Assert.Equal(2UL, leader.LeadTransferee);
        cluster.Deliver();

        var log = cluster.Delivered.Skip(before).ToList();
        var caughtUp = log.FindIndex(m => m is { Type: MessageType.AppendResponse, From: 2, Reject: false } && m.Index == last);
        var timeoutNow = log.FindIndex(m => m is { Type: MessageType.TimeoutNow, From: 1, To: 2 });
        Assert.True(caughtUp >= 0 && caughtUp < timeoutNow, "TimeoutNow only after the target matched the leader's log");
        Assert.Equal(1, log.Count(m => m.Type == MessageType.TimeoutNow));
        // The target skips the pre-vote: the old leader asked for the election.
        Assert.DoesNotContain(log, m => m.Type == MessageType.RequestPreVote);
        Assert.Contains(log, m => m is { Type: MessageType.RequestVote, From: 2, LeaderTransfer: true });

        Assert.Equal(2UL, cluster.Leader);
        Assert.Equal(term + 1, cluster[2].Node.Term);
        Assert.Equal(RaftRole.Follower, leader.Role);
        Assert.Equal(2UL, leader.LeaderId);
        cluster.ProposeAll(cluster[2], "c");
        Assert.All(cluster.Peers.Values, p => Assert.Equal(["a", "b", "c"], p.AppliedCommands));
    }

    [Fact]
    public void A_target_behind_the_leaders_first_index_is_caught_up_by_snapshot_before_TimeoutNow()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Isolate(3);
        cluster.ProposeAll(cluster[1], "a", "b");
        var snapshot = cluster[1].CompactToApplied();
        cluster.Heal();
        var before = cluster.Delivered.Count;

        Assert.Equal(ProposalStatus.Accepted, cluster[1].Node.TransferLeader(3));
        cluster.Deliver();

        var log = cluster.Delivered.Skip(before).ToList();
        var install = log.FindIndex(m => m is { Type: MessageType.InstallSnapshot, To: 3 });
        var timeoutNow = log.FindIndex(m => m is { Type: MessageType.TimeoutNow, To: 3 });
        Assert.True(install >= 0 && install < timeoutNow, "snapshot first, then TimeoutNow");
        Assert.Equal(snapshot.Metadata.Index + 1, cluster[3].Node.FirstIndex);
        Assert.Equal(3UL, cluster.Leader);
    }

    [Fact]
    public void An_up_to_date_target_is_sent_TimeoutNow_at_once()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        var leader = cluster[1];
        Assert.Equal(leader.Node.LastIndex, leader.Node.Progress[3].Match);

        leader.Node.TransferLeader(3);
        var sent = leader.HandleReady();

        var timeoutNow = Assert.Single(sent, m => m.Type == MessageType.TimeoutNow);
        Assert.Equal(3UL, timeoutNow.To);
        Assert.DoesNotContain(sent, m => m.Type == MessageType.Append);
    }

    [Fact]
    public void The_target_is_elected_even_though_the_other_voters_still_hear_from_the_old_leader()
    {
        var cluster = new TestCluster(5);
        cluster.Elect(1);
        cluster.TickAll(2);

        cluster[1].Node.TransferLeader(4);
        cluster.Deliver();

        Assert.Equal(4UL, cluster.Leader);
        Assert.All(cluster.Peers.Values, p => Assert.Equal(4UL, p.Node.LeaderId));
    }

    [Fact]
    public void Proposals_are_refused_with_TransferInProgress_while_the_transfer_is_under_way()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Isolate(2);
        var leader = cluster[1].Node;

        Assert.Equal(ProposalStatus.Accepted, leader.TransferLeader(2));
        cluster.Deliver();

        var refused = cluster[1].Propose("x");
        Assert.Equal(ProposalStatus.TransferInProgress, refused.Status);
        Assert.Equal(0UL, refused.Index);
        Assert.Equal(ProposalStatus.TransferInProgress, leader.ProposeConfChange(ConfChange.AddLearner(4)).Status);
        Assert.Equal(RaftRole.Leader, leader.Role);
    }

    [Fact]
    public void A_transfer_aborts_after_an_election_timeout_when_the_target_is_unreachable()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Isolate(2);
        var leader = cluster[1].Node;
        leader.TransferLeader(2);

        cluster.TickAll(9);
        Assert.Equal(2UL, leader.LeadTransferee);
        Assert.Equal(ProposalStatus.TransferInProgress, cluster[1].Propose("early").Status);

        cluster.TickAll(1);

        Assert.Equal(RaftRole.Leader, leader.Role);
        Assert.Equal(RaftNode.None, leader.LeadTransferee);
        cluster.ProposeAll(cluster[1], "after");
        Assert.Equal(["after"], cluster[3].AppliedCommands);
    }

    [Fact]
    public void A_transfer_to_a_learner_or_to_a_non_member_is_refused()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        var leader = cluster[1].Node;
        Assert.True(leader.ProposeConfChange(ConfChange.AddLearner(4)).IsAccepted);
        cluster.Deliver();

        Assert.Equal(ProposalStatus.NotMember, leader.TransferLeader(4));
        Assert.Equal(ProposalStatus.NotMember, leader.TransferLeader(9));

        Assert.Equal(RaftNode.None, leader.LeadTransferee);
        Assert.True(cluster[1].Propose("still serving").IsAccepted);
    }

    [Fact]
    public void A_transfer_requested_on_a_follower_is_forwarded_to_the_leader()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);

        Assert.Equal(ProposalStatus.Accepted, cluster[3].Node.TransferLeader(3));
        cluster.Deliver();

        Assert.Contains(cluster.Delivered, m => m is { Type: MessageType.TransferLeader, From: 3, To: 1, Index: 3 });
        Assert.Equal(3UL, cluster.Leader);
    }

    [Fact]
    public void A_transfer_without_a_known_leader_is_refused_and_a_transfer_to_the_leader_itself_changes_nothing()
    {
        var cluster = new TestCluster(3);
        Assert.Equal(ProposalStatus.NotLeader, cluster[2].Node.TransferLeader(3));

        cluster.Elect(1);
        var term = cluster[1].Node.Term;
        Assert.Equal(ProposalStatus.Accepted, cluster[1].Node.TransferLeader(1));
        cluster.Deliver();

        Assert.Equal(RaftNode.None, cluster[1].Node.LeadTransferee);
        Assert.Equal(1UL, cluster.Leader);
        Assert.Equal(term, cluster[1].Node.Term);
    }
}
