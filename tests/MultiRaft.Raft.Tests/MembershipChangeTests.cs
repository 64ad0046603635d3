using static MultiRaft.Raft.Tests.RaftTestHelpers;

namespace MultiRaft.Raft.Tests;

/// <summary>Raft §4: membership changes, by single-voter steps and by joint consensus (C_old,new), learners,
/// and removal of followers and of the leader.</summary>
public class MembershipChangeTests
{
    /// <summary>Three voters led by node 1, plus extra nodes that know the initial membership but are not in it
    /// (a host starts them before proposing their addition).</summary>
    private static TestCluster ThreeVotersAndSpares(params ulong[] spares)
    {
        var cluster = new TestCluster(3);
        foreach (var id in spares)
        {
            cluster.Add(id, MemoryStorage.WithVoters(1, 2, 3));
        }
        cluster.Elect(1);
        return cluster;
    }

    private static ConfState Joint(ulong[] incoming, ulong[] outgoing, bool autoLeave = true) =>
        new() { Voters = incoming, VotersOutgoing = outgoing, AutoLeave = autoLeave };

    private static void ChangeAndApply(TestCluster cluster, TestPeer leader, ConfChange change)
    {
        Assert.Equal(ProposalStatus.Accepted, leader.Node.ProposeConfChange(change).Status);
        cluster.Deliver();
    }

    private static List<(Entry Entry, ConfChange Change)> ConfChangeEntries(TestPeer peer) =>
        [.. peer.StoredEntries(peer.Storage.FirstIndex, peer.Storage.LastIndex + 1)
            .Where(e => e.Type == EntryType.ConfChange)
            .Select(e => (e, ConfChange.Decode(e.Data.Span)))];

    [Fact]
    public void A_multi_change_Auto_proposal_enters_a_joint_configuration_and_the_leader_leaves_it_automatically()
    {
        var cluster = ThreeVotersAndSpares(4);
        var leader = cluster[1];

        ChangeAndApply(cluster, leader, new ConfChange(ConfChangeTransition.Auto, [new(ConfChangeType.AddVoter, 4), new(ConfChangeType.RemoveNode, 3)]));

        var joint = Joint([1, 2, 4], [1, 2, 3]);
        Assert.Equal([joint, Voters(1, 2, 4)], leader.ConfStates);
        Assert.Equal([joint, Voters(1, 2, 4)], cluster[2].ConfStates);
        Assert.Equal([joint, Voters(1, 2, 4)], cluster[4].ConfStates);
        // The leave-joint entry was proposed by the leader itself, not by the test.
        var changes = ConfChangeEntries(leader);
        Assert.Equal(2, changes.Count);
        Assert.True(changes[1].Change.IsLeaveJoint);
        Assert.Equal(leader.Node.Term, changes[1].Entry.Term);
        Assert.False(leader.Node.Progress.ContainsKey(3));

        // The new configuration decides alone: node 3 is no longer needed.
        cluster.Isolate(3);
        cluster.ProposeAll(leader, "x");
        Assert.Equal(["x"], cluster[4].AppliedCommands);
    }

    [Fact]
    public void A_new_leader_leaves_a_joint_configuration_its_predecessor_entered_but_did_not_leave()
    {
        var cluster = ThreeVotersAndSpares(4);
        var old = cluster[1];
        // Node 1's own leave-joint proposal never gets out.
        cluster.Hold = m => m.From == 1 && m.Entries.ToArray().Any(e => e.Type == EntryType.ConfChange && ConfChange.Decode(e.Data.Span).IsLeaveJoint);

        ChangeAndApply(cluster, old, new ConfChange(ConfChangeTransition.JointAutoLeave, [new(ConfChangeType.AddVoter, 4)]));
        var joint = Joint([1, 2, 3, 4], [1, 2, 3]);
        Assert.All([cluster[1], cluster[2], cluster[3]], p => Assert.Equal(joint, p.Node.ConfState));

        cluster.Hold = null;
        cluster.Isolate(1);
        for (var i = 0; i < 60 && !new ulong[] { 2, 3, 4 }.Any(id => cluster[id].Node.Role == RaftRole.Leader); i++)
        {
            cluster.TickAll();
        }
        var successor = new ulong[] { 2, 3, 4 }.Single(id => cluster[id].Node.Role == RaftRole.Leader);
        cluster.Deliver();

        Assert.Equal([joint, Voters(1, 2, 3, 4)], cluster[successor].ConfStates);
        var leave = ConfChangeEntries(cluster[successor])[^1];
        Assert.True(leave.Change.IsLeaveJoint);
        Assert.Equal(cluster[successor].Node.Term, leave.Entry.Term);
    }

    [Fact]
    public void Leaving_a_joint_configuration_waits_for_a_leader_transfer_to_abort_and_then_happens_by_itself()
    {
        var cluster = ThreeVotersAndSpares(4);
        var leader = cluster[1];
        Assert.True(leader.Node.ProposeConfChange(new ConfChange(ConfChangeTransition.JointAutoLeave, [new(ConfChangeType.AddVoter, 4)])).IsAccepted);
        cluster.Isolate(3);
        Assert.Equal(ProposalStatus.Accepted, leader.Node.TransferLeader(3));

        cluster.Deliver();
        Assert.True(leader.Node.ConfState.IsJoint);
        cluster.TickAll(9);
        Assert.True(leader.Node.ConfState.IsJoint);

        cluster.TickAll(1);

        Assert.Equal(RaftNode.None, leader.Node.LeadTransferee);
        Assert.Equal(Voters(1, 2, 3, 4), leader.Node.ConfState);
    }

    [Fact]
    public void A_change_that_cannot_apply_throws_and_leaves_the_configuration_as_it_was()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        var node = cluster[2].Node;

        Assert.Throws<ConfChangeException>(() => node.ApplyConfChange(ConfChange.LeaveJoint));
        Assert.Throws<ConfChangeException>(() => node.ApplyConfChange(new ConfChange(ConfChangeTransition.Auto,
            [new(ConfChangeType.RemoveNode, 1), new(ConfChangeType.RemoveNode, 2), new(ConfChangeType.RemoveNode, 3)])));

        Assert.Equal(Voters(1, 2, 3), node.ConfState);
    }

    [Fact]
    public void A_JointAutoLeave_change_of_a_single_voter_also_goes_through_a_joint_configuration()
    {
        var cluster = ThreeVotersAndSpares(4);

        ChangeAndApply(cluster, cluster[1], new ConfChange(ConfChangeTransition.JointAutoLeave, [new(ConfChangeType.AddVoter, 4)]));

        Assert.Equal([Joint([1, 2, 3, 4], [1, 2, 3]), Voters(1, 2, 3, 4)], cluster[1].ConfStates);
        Assert.All(cluster.Peers.Values, p => Assert.Equal(Voters(1, 2, 3, 4), p.Node.ConfState));
    }

    [Fact]
    public void A_single_voter_Auto_change_is_applied_directly_without_a_joint_configuration()
    {
        var cluster = ThreeVotersAndSpares(4);

        ChangeAndApply(cluster, cluster[1], ConfChange.AddVoter(4));

        Assert.Equal([Voters(1, 2, 3, 4)], cluster[1].ConfStates);
    }

    [Fact]
    public void A_JointExplicit_change_stays_joint_until_the_leave_is_proposed()
    {
        var cluster = ThreeVotersAndSpares(4);
        var leader = cluster[1];

        ChangeAndApply(cluster, leader, new ConfChange(ConfChangeTransition.JointExplicit, [new(ConfChangeType.AddVoter, 4)]));
        cluster.TickAll(25);

        var joint = Joint([1, 2, 3, 4], [1, 2, 3], autoLeave: false);
        Assert.Equal(joint, leader.Node.ConfState);
        Assert.Equal(ProposalStatus.InvalidConfChange, leader.Node.ProposeConfChange(ConfChange.AddVoter(5)).Status);

        ChangeAndApply(cluster, leader, ConfChange.LeaveJoint);

        Assert.Equal([joint, Voters(1, 2, 3, 4)], leader.ConfStates);
    }

    [Fact]
    public void In_a_joint_configuration_an_entry_commits_only_with_a_majority_of_both_halves()
    {
        var cluster = ThreeVotersAndSpares(4, 5);
        var leader = cluster[1];
        ChangeAndApply(cluster, leader, new ConfChange(ConfChangeTransition.JointExplicit,
            [new(ConfChangeType.AddVoter, 4), new(ConfChangeType.AddVoter, 5), new(ConfChangeType.RemoveNode, 2), new(ConfChangeType.RemoveNode, 3)]));
        Assert.Equal(Joint([1, 4, 5], [1, 2, 3], autoLeave: false), leader.Node.ConfState);

        // x reaches the whole incoming half {1,4,5} but only one of the outgoing {1,2,3}: not committed.
        cluster.Isolate(2);
        cluster.Isolate(3);
        var commit = leader.Node.CommitIndex;
        var x = leader.Propose("x");
        cluster.Deliver();
        Assert.Equal(commit, leader.Node.CommitIndex);

        // y reaches the whole outgoing half but only one of the incoming: x now has both majorities, y not.
        cluster.Heal();
        cluster.Isolate(4);
        cluster.Isolate(5);
        var y = leader.Propose("y");
        cluster.TickAll(2);
        Assert.Equal(x.Index, leader.Node.CommitIndex);
        Assert.Equal(["x"], leader.AppliedCommands);

        // Two of each half: y commits.
        cluster.Heal();
        cluster.Isolate(3);
        cluster.Isolate(5);
        cluster.TickAll(2);
        Assert.Equal(y.Index, leader.Node.CommitIndex);
        Assert.Equal(["x", "y"], leader.AppliedCommands);
    }

    [Fact]
    public void Learners_receive_the_log_but_neither_vote_nor_count_toward_commit()
    {
        var cluster = ThreeVotersAndSpares(4);
        var leader = cluster[1];
        ChangeAndApply(cluster, leader, ConfChange.AddLearner(4));
        Assert.True(cluster[4].Node.IsLearner);
        Assert.True(leader.Node.Progress[4].IsLearner);

        cluster.ProposeAll(leader, "a");
        Assert.Equal(["a"], cluster[4].AppliedCommands);

        // With both other voters gone, the learner's copy does not make a majority.
        cluster.Isolate(2);
        cluster.Isolate(3);
        var commit = leader.Node.CommitIndex;
        cluster.ProposeAll(leader, "b");
        Assert.Equal(leader.Node.LastIndex, leader.Node.Progress[4].Match);
        Assert.Equal(commit, leader.Node.CommitIndex);
        cluster.Heal();
        cluster.TickAll(2);
        Assert.Equal(["a", "b"], cluster[4].AppliedCommands);

        // An election among the voters neither asks the learner nor hears from it.
        var before = cluster.Delivered.Count;
        cluster.Isolate(1);
        cluster.TickAll(40);
        Assert.Contains(cluster.Leader, new ulong[] { 2, 3 });
        var election = cluster.Delivered.Skip(before).Where(m => m.Type is MessageType.RequestVote or MessageType.RequestPreVote
            or MessageType.RequestVoteResponse or MessageType.RequestPreVoteResponse).ToList();
        Assert.NotEmpty(election);
        Assert.DoesNotContain(election, m => m.To == 4 || m.From == 4);
        Assert.Equal(RaftRole.Follower, cluster[4].Node.Role);
    }

    [Fact]
    public void Promoting_a_learner_makes_it_a_voter_that_counts_toward_commit()
    {
        var cluster = ThreeVotersAndSpares(4);
        var leader = cluster[1];
        ChangeAndApply(cluster, leader, ConfChange.AddLearner(4));

        ChangeAndApply(cluster, leader, ConfChange.AddVoter(4));

        Assert.Equal(Voters(1, 2, 3, 4), leader.Node.ConfState);
        Assert.False(cluster[4].Node.IsLearner);
        Assert.False(leader.Node.Progress[4].IsLearner);
        // Four voters need three: {1,3,4} commits, so node 4 counts.
        cluster.Isolate(2);
        cluster.ProposeAll(leader, "x");
        Assert.Equal(["x"], leader.AppliedCommands);
        Assert.Equal(["x"], cluster[4].AppliedCommands);
    }

    [Fact]
    public void A_voter_demoted_in_a_joint_change_becomes_a_learner_when_the_joint_configuration_is_left()
    {
        var cluster = ThreeVotersAndSpares(4);
        var leader = cluster[1];

        ChangeAndApply(cluster, leader, new ConfChange(ConfChangeTransition.Auto, [new(ConfChangeType.AddVoter, 4), new(ConfChangeType.AddLearner, 3)]));

        var joint = new ConfState { Voters = [1, 2, 4], VotersOutgoing = [1, 2, 3], LearnersNext = [3], AutoLeave = true };
        var final = new ConfState { Voters = [1, 2, 4], Learners = [3] };
        Assert.Equal([joint, final], leader.ConfStates);
        Assert.True(cluster[3].Node.IsLearner);
        cluster.ProposeAll(leader, "x");
        Assert.Equal(["x"], cluster[3].AppliedCommands);
    }

    [Fact]
    public void Removing_a_follower_stops_replication_to_it_and_it_never_campaigns()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        var leader = cluster[1];
        var term = leader.Node.Term;

        ChangeAndApply(cluster, leader, ConfChange.Remove(3));

        Assert.Equal(Voters(1, 2), leader.Node.ConfState);
        Assert.Equal(Voters(1, 2), cluster[3].Node.ConfState);
        Assert.False(leader.Node.Progress.ContainsKey(3));
        var before = cluster.Delivered.Count;
        cluster.ProposeAll(leader, "x");
        cluster.TickAll(50);
        Assert.Equal(["x"], cluster[2].AppliedCommands);
        Assert.DoesNotContain(cluster.Delivered.Skip(before), m => m.To == 3 || m.From == 3);
        Assert.Equal(RaftRole.Follower, cluster[3].Node.Role);
        Assert.Equal(term, cluster[3].Node.Term);
        Assert.Equal(1UL, cluster.Leader);
    }

    [Fact]
    public void Removing_the_leader_makes_it_hand_leadership_to_a_remaining_voter_once_the_removal_is_applied()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        var old = cluster[1];
        var term = old.Node.Term;

        // Proposing its own removal does not end its leadership: the entry must commit and apply first.
        cluster.Cut(2, 1);
        cluster.Cut(3, 1);
        Assert.True(old.Node.ProposeConfChange(ConfChange.Remove(1)).IsAccepted);
        cluster.Deliver();
        Assert.Equal(RaftRole.Leader, old.Node.Role);

        // Once applied, the old leader does not just stop (the others might not know the removal committed):
        // it transfers leadership to the most up-to-date remaining voter, which is elected at once.
        var before = cluster.Delivered.Count;
        cluster.Heal();
        cluster.TickAll(2);
        Assert.Equal([Voters(2, 3)], old.ConfStates);
        Assert.Contains(cluster.Delivered.Skip(before), m => m.From == 1 && m.Type == MessageType.TimeoutNow);
        // The old leader learns of the new term from the answers to its next heartbeats.
        cluster.TickAll(2);
        Assert.Contains(cluster.Leader, new ulong[] { 2, 3 });
        Assert.Equal(RaftRole.Follower, old.Node.Role);
        var leader = cluster[cluster.Leader];
        Assert.Equal(term + 1, leader.Node.Term);
        Assert.All(cluster.Peers.Values, p => Assert.Equal(Voters(2, 3), p.Node.ConfState));

        before = cluster.Delivered.Count;
        cluster.TickAll(40);
        Assert.Equal(leader.Node.Id, cluster.Leader);
        Assert.DoesNotContain(cluster.Delivered.Skip(before), m => m.From == 1 || m.To == 1);
        cluster.ProposeAll(leader, "x");
        Assert.Equal(["x"], cluster[2].AppliedCommands);
        Assert.Equal(["x"], cluster[3].AppliedCommands);
    }

    [Fact]
    public void A_leader_only_in_the_outgoing_half_keeps_leading_until_the_joint_configuration_is_left()
    {
        var cluster = ThreeVotersAndSpares(4);
        var old = cluster[1];
        var term = old.Node.Term;

        ChangeAndApply(cluster, old, new ConfChange(ConfChangeTransition.Auto, [new(ConfChangeType.RemoveNode, 1), new(ConfChangeType.AddVoter, 4)]));

        // Node 1 applied both the joint configuration and the leave it proposed itself as leader.
        Assert.Equal([Joint([2, 3, 4], [1, 2, 3]), Voters(2, 3, 4)], old.ConfStates);
        var leave = ConfChangeEntries(old)[^1];
        Assert.True(leave.Change.IsLeaveJoint);
        Assert.Equal(term, leave.Entry.Term);

        // Having applied its own removal, it hands leadership over to a remaining voter.
        cluster.TickAll(40);
        Assert.Equal(RaftRole.Follower, old.Node.Role);
        Assert.Contains(cluster.Leader, new ulong[] { 2, 3, 4 });
    }

    [Fact]
    public void A_brand_new_node_with_empty_storage_catches_up_by_snapshot_once_added()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        var leader = cluster[1];
        cluster.ProposeAll(leader, "a", "b");
        var snapshot = leader.CompactToApplied();
        var fresh = cluster.Add(4, new MemoryStorage());
        Assert.Equal(ConfState.Empty, fresh.Node.ConfState);

        ChangeAndApply(cluster, leader, ConfChange.AddVoter(4));
        cluster.ProposeAll(leader, "c");

        var install = Assert.Single(cluster.Delivered, m => m.Type == MessageType.InstallSnapshot);
        Assert.Equal(4UL, install.To);
        Assert.Equal(snapshot.Metadata.Index, install.Snapshot!.Metadata.Index);
        Assert.Equal("a,b", Text(fresh.Storage.Snapshot()!.Data));
        Assert.Equal(Voters(1, 2, 3, 4), fresh.Node.ConfState);
        Assert.Equal(["c"], fresh.AppliedCommands);
        Assert.Equal(leader.Node.CommitIndex, fresh.Node.CommitIndex);
        Assert.Equal(leader.Node.LastIndex, leader.Node.Progress[4].Match);

        // It counts as a voter: {1,2,4} of four commit without node 3.
        cluster.Isolate(3);
        cluster.ProposeAll(leader, "d");
        Assert.Equal(["c", "d"], fresh.AppliedCommands);
    }
}
