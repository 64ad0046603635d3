using static MultiRaft.Raft.Tests.RaftTestHelpers;

namespace MultiRaft.Raft.Tests;

/// <summary>Why a proposal is refused: every refusal leaves the log untouched and says why.</summary>
public class ProposalFailureTests
{
    private static void AssertRefused(ProposalStatus expected, ProposeResult result)
    {
        Assert.Equal(expected, result.Status);
        Assert.False(result.IsAccepted);
        Assert.Equal(0UL, result.Index);
        Assert.Equal(0UL, result.Term);
    }

    [Fact]
    public void Without_a_leader_every_node_refuses_proposals_with_NotLeader()
    {
        var cluster = new TestCluster(3);

        foreach (var peer in cluster.Peers.Values)
        {
            AssertRefused(ProposalStatus.NotLeader, peer.Propose("x"));
            AssertRefused(ProposalStatus.NotLeader, peer.Node.ProposeConfChange(ConfChange.AddLearner(4)));
            Assert.Equal(0UL, peer.Node.LastIndex);
        }
    }

    [Fact]
    public void A_follower_and_a_candidate_refuse_proposals_with_NotLeader()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        var follower = cluster[2].Node;
        var last = follower.LastIndex;

        AssertRefused(ProposalStatus.NotLeader, cluster[2].Propose("x"));
        Assert.Equal(1UL, follower.LeaderId);
        Assert.Equal(last, follower.LastIndex);

        cluster.Isolate(3);
        cluster[3].Node.Campaign();
        cluster.Deliver();
        Assert.Equal(RaftRole.PreCandidate, cluster[3].Node.Role);
        AssertRefused(ProposalStatus.NotLeader, cluster[3].Propose("x"));
    }

    [Fact]
    public void During_a_leader_transfer_proposals_are_refused_with_TransferInProgress()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Isolate(3);
        var last = cluster[1].Node.LastIndex;

        cluster[1].Node.TransferLeader(3);

        AssertRefused(ProposalStatus.TransferInProgress, cluster[1].Propose("x"));
        AssertRefused(ProposalStatus.TransferInProgress, cluster[1].Node.ProposeConfChange(ConfChange.Remove(2)));
        Assert.Equal(last, cluster[1].Node.LastIndex);
    }

    [Fact]
    public void A_removed_leader_that_is_still_handing_off_refuses_proposals_with_NotMember()
    {
        var cluster = new TestCluster(3);
        cluster.Drop(MessageType.TimeoutNow);
        cluster.Elect(1);
        Assert.True(cluster[1].Node.ProposeConfChange(ConfChange.Remove(1)).IsAccepted);
        cluster.Deliver();
        Assert.Equal(RaftRole.Leader, cluster[1].Node.Role);
        Assert.Equal(Voters(2, 3), cluster[1].Node.ConfState);

        AssertRefused(ProposalStatus.NotMember, cluster[1].Propose("x"));
        AssertRefused(ProposalStatus.NotMember, cluster[1].Node.ProposeConfChange(ConfChange.AddVoter(1)));
    }

    [Fact]
    public void A_removed_follower_refuses_proposals_with_NotLeader()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        Assert.True(cluster[1].Node.ProposeConfChange(ConfChange.Remove(3)).IsAccepted);
        cluster.Deliver();

        AssertRefused(ProposalStatus.NotLeader, cluster[3].Propose("x"));
    }

    [Fact]
    public void A_second_conf_change_while_one_is_pending_is_refused_with_ConfChangePending()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        var leader = cluster[1].Node;

        var first = leader.ProposeConfChange(ConfChange.AddLearner(4));
        Assert.True(first.IsAccepted);

        AssertRefused(ProposalStatus.ConfChangePending, leader.ProposeConfChange(ConfChange.AddLearner(5)));
        Assert.Equal(first.Index, leader.LastIndex);
        // Ordinary proposals are not held back by a pending conf change.
        Assert.True(cluster[1].Propose("x").IsAccepted);
    }

    [Fact]
    public void A_change_that_removes_every_voter_is_refused_with_InvalidConfChange()
    {
        var single = new TestCluster(1);
        single.Elect(1);
        var last = single[1].Node.LastIndex;
        AssertRefused(ProposalStatus.InvalidConfChange, single[1].Node.ProposeConfChange(ConfChange.Remove(1)));
        Assert.Equal(last, single[1].Node.LastIndex);
        single.ProposeAll(single[1], "still a group of one");
        Assert.Equal(["still a group of one"], single[1].AppliedCommands);

        var cluster = new TestCluster(3);
        cluster.Elect(1);
        var all = new ConfChange(ConfChangeTransition.Auto,
            [new(ConfChangeType.RemoveNode, 1), new(ConfChangeType.RemoveNode, 2), new(ConfChangeType.RemoveNode, 3)]);
        AssertRefused(ProposalStatus.InvalidConfChange, cluster[1].Node.ProposeConfChange(all));
        // A refused change does not count as pending.
        Assert.True(cluster[1].Node.ProposeConfChange(ConfChange.AddLearner(4)).IsAccepted);
    }

    [Fact]
    public void Leaving_a_joint_configuration_that_was_never_entered_is_refused_with_InvalidConfChange()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);

        AssertRefused(ProposalStatus.InvalidConfChange, cluster[1].Node.ProposeConfChange(ConfChange.LeaveJoint));
    }

    [Fact]
    public void Proposals_beyond_the_uncommitted_byte_budget_are_refused_with_Busy_until_entries_commit()
    {
        var cluster = new TestCluster(3, c => c with { MaxUncommittedBytes = 10 });
        cluster.Elect(1);
        cluster.Cut(2, 1);
        cluster.Cut(3, 1);
        var leader = cluster[1];

        Assert.True(leader.Propose("12345678").IsAccepted);
        cluster.Deliver();
        AssertRefused(ProposalStatus.Busy, leader.Propose("12345678"));

        cluster.Heal();
        cluster.TickAll(2);
        Assert.Equal(["12345678"], leader.AppliedCommands);
        Assert.True(leader.Propose("12345678").IsAccepted);
    }
}
