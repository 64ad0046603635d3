namespace MultiRaft.Raft.Tests;

/// <summary>A host that applies on other threads advances each Ready once it is persisted and sent, and reports
/// applied indexes later: the node must hand every committed entry out exactly once, and must not treat an
/// entry as applied (for membership changes and elections) before the host says so.</summary>
public class ApplyingLaterTests
{
    private static TestCluster ThreeVotersApplyingLater()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        foreach (var peer in cluster.Peers.Values)
        {
            peer.ApplyHanded();
            peer.AppliesLater = true;
        }
        return cluster;
    }

    [Fact]
    public void Entries_handed_out_are_not_handed_out_again_and_count_as_applied_only_when_reported()
    {
        var cluster = ThreeVotersApplyingLater();
        var leader = cluster[1];
        var appliedBefore = leader.Node.AppliedIndex;

        cluster.ProposeAll(leader, "a", "b");
        cluster.ProposeAll(leader, "c");

        Assert.Equal(["a", "b", "c"], leader.Handed.Select(e => RaftTestHelpers.Text(e.Data)));
        Assert.Equal(appliedBefore, leader.Node.AppliedIndex);
        Assert.False(leader.Node.HasReady);

        leader.ApplyHanded();
        Assert.Equal(leader.Node.CommitIndex, leader.Node.AppliedIndex);
        Assert.Equal(["a", "b", "c"], leader.AppliedCommands);
    }

    [Fact]
    public void A_report_older_than_the_applied_index_is_ignored_and_one_past_the_handed_out_entries_is_refused()
    {
        var cluster = ThreeVotersApplyingLater();
        var leader = cluster[1];
        cluster.ProposeAll(leader, "a");
        var handed = leader.Handed[^1].Index;

        Assert.Throws<InvalidOperationException>(() => leader.Node.AppliedTo(handed + 1));
        leader.ApplyHanded();
        leader.Node.AppliedTo(handed - 1);

        Assert.Equal(handed, leader.Node.AppliedIndex);
    }

    [Fact]
    public void A_second_membership_change_waits_until_the_first_is_reported_applied()
    {
        var cluster = ThreeVotersApplyingLater();
        cluster.Add(4, MemoryStorage.WithVoters(1, 2, 3)).AppliesLater = true;
        var leader = cluster[1];

        Assert.True(leader.Node.ProposeConfChange(ConfChange.AddLearner(4)).IsAccepted);
        cluster.Deliver();
        Assert.Equal(ProposalStatus.ConfChangePending, leader.Node.ProposeConfChange(ConfChange.AddLearner(5)).Status);

        leader.ApplyHanded();

        Assert.True(leader.Node.ProposeConfChange(ConfChange.AddLearner(5)).IsAccepted);
    }

    [Fact]
    public void A_follower_with_a_committed_membership_change_still_unapplied_does_not_campaign()
    {
        var cluster = ThreeVotersApplyingLater();
        var leader = cluster[1];
        Assert.True(leader.Node.ProposeConfChange(ConfChange.AddLearner(4)).IsAccepted);
        cluster.Deliver();
        var follower = cluster[2];
        Assert.Contains(follower.Handed, e => e.Type == EntryType.ConfChange);
        cluster.Isolate(1);

        follower.Node.Campaign();
        Assert.Equal(RaftRole.Follower, follower.Node.Role);

        follower.ApplyHanded();
        follower.Node.Campaign();
        Assert.NotEqual(RaftRole.Follower, follower.Node.Role);
    }

    [Fact]
    public void The_leader_leaves_a_joint_configuration_once_the_host_reports_it_applied()
    {
        var cluster = ThreeVotersApplyingLater();
        cluster.Add(4, MemoryStorage.WithVoters(1, 2, 3)).AppliesLater = true;
        var leader = cluster[1];
        var change = new ConfChange(ConfChangeTransition.Auto, [new(ConfChangeType.AddVoter, 4), new(ConfChangeType.RemoveNode, 3)]);
        Assert.True(leader.Node.ProposeConfChange(change).IsAccepted);
        cluster.Deliver();
        foreach (var peer in cluster.Peers.Values)
        {
            peer.ApplyHanded();
        }
        Assert.True(leader.Node.ConfState.IsJoint);

        cluster.Deliver(); // The leave-joint entry the report made the leader propose.
        foreach (var peer in cluster.Peers.Values)
        {
            peer.ApplyHanded();
        }

        Assert.False(leader.Node.ConfState.IsJoint);
        Assert.Equal([1UL, 2, 4], leader.Node.ConfState.Voters.Order().ToArray());
    }
}
