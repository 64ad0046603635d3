namespace MultiRaft.Raft.Tests;

/// <summary>Guards found necessary beyond the paper: empty peers, restarts under a lease, late TimeoutNow.</summary>
public class SafetyGuardTests
{
    [Fact]
    public void A_peer_added_empty_waits_for_a_snapshot_instead_of_replaying_the_log_without_its_base_configuration()
    {
        // Bootstrapped at index 0: the initial voters live only in the index-0 snapshot, not in the log.
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        var leader = cluster[1];
        cluster.ProposeAll(leader, "a", "b");
        var newcomer = cluster.Add(4, new MemoryStorage());
        Assert.True(leader.Node.ProposeConfChange(ConfChange.AddVoter(4)).IsAccepted);
        cluster.Deliver();

        // It refused the log from index 1: nothing appended, no configuration built from an empty base.
        Assert.Equal(0UL, newcomer.Node.LastIndex);
        Assert.Empty(newcomer.Node.ConfState.Voters);
        Assert.Contains(cluster.Delivered, m => m.From == 4 && m.Type == MessageType.AppendResponse && m.Reject && m.Index == 0);

        // Cut off, it cannot elect itself: it is not a voter of anything it knows.
        cluster.Isolate(4);
        cluster.TickAll(60);
        Assert.Equal(RaftRole.Follower, newcomer.Node.Role);
        Assert.Equal(1UL, cluster.Leader);

        // Once the leader has a snapshot, the newcomer installs it and catches up with the right voters.
        cluster.Heal();
        leader.CompactToApplied();
        cluster.TickAll(4);
        Assert.Equal(new ulong[] { 1, 2, 3, 4 }, newcomer.Node.ConfState.Voters.Order());
        Assert.Equal(leader.Node.CommitIndex, newcomer.Node.CommitIndex);
        cluster.ProposeAll(leader, "c");
        Assert.Equal(["c"], newcomer.AppliedCommands);
    }

    [Fact]
    public void A_restarted_voter_refuses_votes_for_an_election_timeout_because_a_lease_may_count_on_it()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.ProposeAll(cluster[1], "x");
        cluster.TickAll(2);
        Assert.True(cluster[1].Node.HasValidLease);

        // Node 3 restarts and node 2, cut off from the leader, asks it for a vote at once.
        var restarted = cluster.Restart(3);
        cluster.Cut(1, 2);
        cluster.Cut(2, 1);
        cluster[2].Node.Campaign();
        cluster.Deliver();
        Assert.NotEqual(RaftRole.Leader, cluster[2].Node.Role);
        Assert.Equal(1UL, cluster.Leader);

        // After an election timeout of its own ticks (and the leader, cut off from node 2 as well now, gone),
        // node 3 votes again.
        cluster.Isolate(1);
        for (var i = 0; i < 10; i++)
        {
            restarted.Node.Tick();
        }
        cluster[2].Node.Campaign();
        cluster.Deliver();
        Assert.Equal(RaftRole.Leader, cluster[2].Node.Role);
    }

    [Fact]
    public void The_lease_stays_void_for_an_election_timeout_after_a_transfer_aborts()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.ProposeAll(cluster[1], "x");
        cluster.TickAll(2);
        var leader = cluster[1].Node;
        Assert.True(leader.HasValidLease);

        cluster.Isolate(3);
        Assert.Equal(ProposalStatus.Accepted, leader.TransferLeader(3));
        Assert.False(leader.HasValidLease);

        cluster.TickAll(10);
        Assert.Equal(RaftNode.None, leader.LeadTransferee);
        // Node 2 keeps acknowledging, yet the TimeoutNow sent to node 3 could still arrive: no lease yet.
        Assert.False(leader.HasValidLease);

        cluster.TickAll(10);
        Assert.True(leader.HasValidLease);
    }
}
