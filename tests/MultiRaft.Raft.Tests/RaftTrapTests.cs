using static MultiRaft.Raft.Tests.RaftTestHelpers;

namespace MultiRaft.Raft.Tests;

/// <summary>Well-known ways to get Raft subtly wrong, one test each.</summary>
public class RaftTrapTests
{
    private static void TickUntil(TestCluster cluster, Func<bool> condition, int maxTicks = 100)
    {
        for (var i = 0; i < maxTicks && !condition(); i++)
        {
            cluster.TickAll();
        }
        Assert.True(condition(), $"condition not reached within {maxTicks} ticks");
    }

    /// <summary>The one leader among <paramref name="ids"/>, or 0 (an isolated old leader may still think it leads).</summary>
    private static ulong LeaderAmong(TestCluster cluster, params ulong[] ids) =>
        ids.Where(id => cluster[id].Node.Role == RaftRole.Leader).SingleOrDefault();

    [Fact]
    public void ReadIndex_answers_only_after_the_leader_has_committed_an_entry_of_its_own_term()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        // x commits on {1,2}, but node 2 never hears that it did.
        cluster.Cut(1, 3);
        var x = cluster[1].Propose("x");
        cluster.Hold = m => m.From == 1 && m.To == 2 && m.Commit >= x.Index;
        cluster.Deliver();
        Assert.Equal(x.Index, cluster[1].Node.CommitIndex);
        Assert.Equal(x.Index, cluster[2].Node.LastIndex);
        Assert.True(cluster[2].Node.CommitIndex < x.Index);

        // Node 1 dies; node 2 wins the election, but its first entry cannot commit yet.
        cluster.Hold = m => m.Type == MessageType.AppendResponse && m.To == 2;
        cluster.Isolate(1);
        TickUntil(cluster, () => cluster[2].Node.Role == RaftRole.Leader);
        var leader = cluster[2].Node;
        Assert.True(leader.CommitIndex < x.Index);
        Assert.False(leader.HasValidLease);

        // Answering now would hand out an index before x, a write the client was told had committed.
        Assert.Equal(ProposalStatus.Accepted, leader.ReadIndex(99));
        cluster.TickAll(4);
        Assert.Empty(cluster[2].ReadStates);

        cluster.Hold = null;
        cluster.TickAll(4);

        var read = Assert.Single(cluster[2].ReadStates);
        Assert.Equal(99UL, read.RequestId);
        Assert.True(read.Index > x.Index, $"read index {read.Index} must cover x at {x.Index} and the new term's entry");
        Assert.Equal(leader.Term, cluster[2].Storage.StoredTerm(read.Index));
    }

    [Fact]
    public void Lease_reads_stop_at_once_when_the_leader_starts_a_leader_transfer()
    {
        var cluster = WithLeaseHolder(out var leader);

        leader.Node.TransferLeader(2);

        // The target will campaign at once and its voters grant it despite their lease: the lease is void now.
        Assert.False(leader.Node.HasValidLease);
        leader.Node.ReadIndex(5);
        var sent = leader.HandleReady();
        Assert.Empty(leader.ReadStates);
        Assert.Contains(sent, m => m.Type == MessageType.Heartbeat && m.Context != 0);

        foreach (var message in sent.Where(m => m.Type == MessageType.TimeoutNow))
        {
            cluster[message.To].Node.Step(message);
        }
        cluster.Deliver();
        Assert.Equal(2UL, cluster.Leader);
        Assert.Empty(leader.ReadStates);
    }

    [Fact]
    public void The_lease_is_shorter_than_the_election_timeout()
    {
        RaftConfig Config(int election, int lease) =>
            new() { Id = 1, Storage = MemoryStorage.WithVoters(1), Random = new Random(1), ElectionTicks = election, LeaseTicks = lease };

        Assert.Throws<ArgumentException>(Config(10, 10).Validate);
        Assert.Throws<ArgumentException>(Config(10, 11).Validate);
        Assert.Throws<ArgumentException>(Config(10, 0).Validate);
        Assert.Throws<ArgumentException>(Config(20, 20).Validate);
        Assert.Throws<ArgumentException>(() => new RaftNode(Config(10, 10)));
        Config(10, 9).Validate();
        Config(20, 19).Validate();
        var defaults = new RaftConfig { Id = 1, Storage = new MemoryStorage(), Random = new Random(1) };
        Assert.True(defaults.LeaseTicks < defaults.ElectionTicks);
    }

    [Fact]
    public void At_most_one_membership_change_is_pending_at_a_time()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        var leader = cluster[1].Node;
        Assert.True(leader.ProposeConfChange(ConfChange.AddLearner(4)).IsAccepted);
        Assert.Equal(ProposalStatus.ConfChangePending, leader.ProposeConfChange(ConfChange.AddLearner(5)).Status);
        cluster.Deliver();
        Assert.Equal([4UL], leader.ConfState.Learners);
        Assert.True(leader.ProposeConfChange(ConfChange.AddLearner(5)).IsAccepted);
        cluster.Deliver();

        // A new leader cannot tell whether a conf change in its uncommitted tail will commit: it refuses new
        // ones until it has applied everything it inherited.
        cluster.Drop(MessageType.AppendResponse);
        Assert.True(leader.ProposeConfChange(ConfChange.Remove(4)).IsAccepted);
        cluster.Deliver();
        cluster.Isolate(1);
        TickUntil(cluster, () => LeaderAmong(cluster, 2, 3) != 0);
        var successor = cluster[LeaderAmong(cluster, 2, 3)].Node;
        Assert.Equal([4UL, 5UL], successor.ConfState.Learners);
        Assert.Equal(ProposalStatus.ConfChangePending, successor.ProposeConfChange(ConfChange.Remove(5)).Status);

        cluster.Allow(MessageType.AppendResponse);
        cluster.TickAll(2);
        Assert.Equal([5UL], successor.ConfState.Learners);
        Assert.True(successor.ProposeConfChange(ConfChange.Remove(5)).IsAccepted);
    }

    [Fact]
    public void A_node_does_not_campaign_while_a_committed_conf_change_is_not_yet_applied()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.ProposeAll(cluster[1], "a");
        cluster[2].CompactToApplied();
        Assert.True(cluster[1].Node.ProposeConfChange(ConfChange.AddLearner(4)).IsAccepted);
        cluster.Deliver();

        // On restart node 2 has the AddLearner entry committed but applies it only in its next Ready.
        var node = cluster.Restart(2).Node;
        var term = node.Term;
        Assert.True(node.AppliedIndex < node.CommitIndex);
        Assert.Empty(node.ConfState.Learners);

        node.Campaign();
        for (var i = 0; i < 30; i++)
        {
            node.Tick();
        }
        Assert.Equal(RaftRole.Follower, node.Role);
        Assert.Equal(term, node.Term);

        cluster.Deliver();
        Assert.Equal([4UL], node.ConfState.Learners);
        node.Campaign();
        Assert.Equal(RaftRole.PreCandidate, node.Role);
    }

    [Fact]
    public void A_snapshot_carries_the_configuration_as_of_its_index()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Isolate(3);
        var leader = cluster[1];
        // Node 3 misses both changes: learner 4 is added before the snapshot's index, learner 5 after it.
        Assert.True(leader.Node.ProposeConfChange(ConfChange.AddLearner(4)).IsAccepted);
        cluster.Deliver();
        cluster.ProposeAll(leader, "a");
        var index = leader.Node.AppliedIndex;
        var snapshot = leader.Storage.CreateSnapshot(index, leader.Node.ConfState, Bytes("a"));
        Assert.True(leader.Node.ProposeConfChange(ConfChange.AddLearner(5)).IsAccepted);
        cluster.Deliver();
        leader.Storage.Compact(index);
        var asOfIndex = new ConfState { Voters = [1, 2, 3], Learners = [4] };
        Assert.Equal(asOfIndex, snapshot.Metadata.ConfState);
        Assert.Equal([4UL, 5UL], leader.Node.ConfState.Learners);

        cluster.Heal();
        cluster.Hold = m => m.To == 3 && m.Type == MessageType.Append
            && cluster.Delivered.Any(d => d.To == 3 && d.Type == MessageType.InstallSnapshot);
        cluster.TickAll(2);

        // Installed, nothing after it yet: node 3 has exactly the membership at the snapshot's index.
        var follower = cluster[3];
        Assert.Equal(index + 1, follower.Node.FirstIndex);
        Assert.Equal(asOfIndex, follower.Node.ConfState);

        cluster.Hold = null;
        cluster.TickAll(2);
        Assert.Equal([new ConfState { Voters = [1, 2, 3], Learners = [4, 5] }], follower.ConfStates);
        Assert.Equal(leader.Node.ConfState, follower.Node.ConfState);
    }

    [Fact]
    public void A_node_that_believes_it_is_a_learner_still_answers_votes()
    {
        var cluster = new TestCluster(3);
        cluster.Add(4, MemoryStorage.WithVoters(1, 2, 3));
        cluster.Elect(1);
        var old = cluster[1];
        Assert.True(old.Node.ProposeConfChange(ConfChange.AddLearner(4)).IsAccepted);
        cluster.Deliver();

        // The promotion commits on {1,2,3}; node 4 holds the entry but has not learned that it committed.
        cluster.Cut(1, 4);
        var promote = old.Node.ProposeConfChange(ConfChange.AddVoter(4));
        cluster.Deliver();
        Assert.Equal(Voters(1, 2, 3, 4), cluster[2].Node.ConfState);
        Assert.Equal(LogRead.Ok, old.Storage.Term(promote.Index - 1, out var prevTerm));
        cluster[4].Node.Step(new Message
        {
            Type = MessageType.Append, From = 1, To = 4, Term = old.Node.Term, Index = promote.Index - 1, LogTerm = prevTerm,
            Entries = old.StoredEntries(promote.Index, promote.Index + 1), Commit = promote.Index - 1,
        });
        cluster.Deliver();
        Assert.True(cluster[4].Node.IsLearner);
        Assert.Equal(promote.Index, cluster[4].Node.LastIndex);

        // With node 1 gone, a leader of {1,2,3,4} needs 2, 3 and 4: node 4 must vote although it thinks it
        // is a learner.
        cluster.Isolate(1);
        TickUntil(cluster, () => LeaderAmong(cluster, 2, 3) != 0);

        Assert.Contains(cluster.Delivered, m => m is { Type: MessageType.RequestVoteResponse, From: 4, Reject: false });
        cluster.TickAll(2);
        Assert.False(cluster[4].Node.IsLearner);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void A_removed_node_cannot_disrupt_the_group(bool preVote, bool checkQuorum)
    {
        var cluster = new TestCluster(3, c => c with { PreVote = preVote, CheckQuorum = checkQuorum, LeaseRead = checkQuorum });
        cluster.Elect(1);
        var leader = cluster[1].Node;
        // Node 3 is away while it is removed, so it never learns of its removal.
        cluster.Isolate(3);
        Assert.True(leader.ProposeConfChange(ConfChange.Remove(3)).IsAccepted);
        cluster.Deliver();
        Assert.Equal(Voters(1, 2), leader.ConfState);
        Assert.Equal(Voters(1, 2, 3), cluster[3].Node.ConfState);
        var term = leader.Term;
        var before = cluster.Delivered.Count;

        cluster.Heal();
        cluster.TickAll(100);

        var campaigns = cluster.Delivered.Skip(before)
            .Count(m => m.From == 3 && m.Type is MessageType.RequestVote or MessageType.RequestPreVote);
        Assert.True(campaigns >= 4, $"node 3 campaigned {campaigns / 2} times");
        Assert.Equal(1UL, cluster.Leader);
        Assert.Equal(term, leader.Term);
        Assert.Equal(term, cluster[2].Node.Term);
        Assert.Equal(1UL, cluster[2].Node.LeaderId);
        cluster.ProposeAll(cluster[1], "x");
        Assert.Equal(["x"], cluster[2].AppliedCommands);
    }
}
