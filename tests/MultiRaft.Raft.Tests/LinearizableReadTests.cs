using static MultiRaft.Raft.Tests.RaftTestHelpers;

namespace MultiRaft.Raft.Tests;

/// <summary>Raft §6.4: read-only queries via ReadIndex (a heartbeat round confirms leadership) and via a
/// leader lease (no round while a quorum acknowledged the leader recently).</summary>
public class LinearizableReadTests
{
    private static void StepAll(TestPeer peer, IEnumerable<Message> messages, MessageType type)
    {
        foreach (var message in messages.Where(m => m.To == peer.Node.Id && m.Type == type))
        {
            peer.Node.Step(message);
        }
    }

    [Fact]
    public void ReadIndex_on_the_leader_answers_only_after_a_quorum_acknowledges_a_heartbeat_sent_after_the_request()
    {
        var cluster = new TestCluster(5, NoLease);
        cluster.Elect(1);
        var leader = cluster[1];
        cluster.ProposeAll(leader, "a");
        var commit = leader.Node.CommitIndex;

        Assert.Equal(ProposalStatus.Accepted, leader.Node.ReadIndex(42));
        var sent = leader.HandleReady();

        Assert.Empty(leader.ReadStates);
        var heartbeats = sent.Where(m => m.Type == MessageType.Heartbeat).ToList();
        Assert.Equal([2UL, 3UL, 4UL, 5UL], heartbeats.Select(m => m.To).Order());
        var round = heartbeats[0].Context;
        Assert.NotEqual(0UL, round);
        Assert.All(heartbeats, h => Assert.Equal(round, h.Context));

        // One acknowledgement plus the leader's own is not a majority of five.
        StepAll(cluster[2], sent, MessageType.Heartbeat);
        StepAll(leader, cluster[2].HandleReady(), MessageType.HeartbeatResponse);
        if (leader.Node.HasReady)
        {
            leader.HandleReady();
        }
        Assert.Empty(leader.ReadStates);

        StepAll(cluster[3], sent, MessageType.Heartbeat);
        StepAll(leader, cluster[3].HandleReady(), MessageType.HeartbeatResponse);
        leader.HandleReady();

        Assert.Equal([new ReadState(commit, 42)], leader.ReadStates);
    }

    [Fact]
    public void A_read_whose_heartbeat_round_was_lost_is_confirmed_by_the_next_heartbeat()
    {
        var cluster = new TestCluster(3, NoLease);
        cluster.Elect(1);
        cluster.ProposeAll(cluster[1], "a");
        cluster.Drop(MessageType.HeartbeatResponse);

        cluster[1].Node.ReadIndex(5);
        cluster.Deliver();
        Assert.Empty(cluster[1].ReadStates);

        cluster.Allow(MessageType.HeartbeatResponse);
        cluster.TickAll(2);

        Assert.Equal([new ReadState(cluster[1].Node.CommitIndex, 5)], cluster[1].ReadStates);
    }

    [Fact]
    public void Several_reads_in_flight_are_all_confirmed_by_a_later_round()
    {
        var cluster = new TestCluster(3, NoLease);
        cluster.Elect(1);
        cluster.Drop(MessageType.HeartbeatResponse);
        cluster[1].Node.ReadIndex(1);
        cluster.Deliver();
        cluster.ProposeAll(cluster[1], "a");
        cluster[1].Node.ReadIndex(2);
        cluster.Deliver();
        Assert.Empty(cluster[1].ReadStates);

        cluster.Allow(MessageType.HeartbeatResponse);
        cluster.TickAll(2);

        // Each read gets the commit index as of its own request.
        var commit = cluster[1].Node.CommitIndex;
        Assert.Equal([new ReadState(commit - 1, 1), new ReadState(commit, 2)], cluster[1].ReadStates);
    }

    [Fact]
    public void ReadIndex_on_a_follower_is_forwarded_to_the_leader_and_the_answer_comes_back_to_the_follower()
    {
        var cluster = new TestCluster(3, NoLease);
        cluster.Elect(1);
        cluster.ProposeAll(cluster[1], "a");

        Assert.Equal(ProposalStatus.Accepted, cluster[2].Node.ReadIndex(7));
        cluster.Deliver();

        Assert.Equal([new ReadState(cluster[1].Node.CommitIndex, 7)], cluster[2].ReadStates);
        Assert.Empty(cluster[1].ReadStates);
        var forwarded = cluster.Delivered.FindIndex(m => m.Type == MessageType.ReadIndex && m is { From: 2, To: 1, Context: 7 });
        var confirmed = cluster.Delivered.FindIndex(m => m.Type == MessageType.HeartbeatResponse && m.To == 1 && m.Context != 0);
        var answered = cluster.Delivered.FindIndex(m => m.Type == MessageType.ReadIndexResponse && m is { From: 1, To: 2, Context: 7 });
        Assert.True(forwarded >= 0 && forwarded < confirmed && confirmed < answered, "forward, then heartbeat round, then answer");
    }

    [Fact]
    public void ReadIndex_is_refused_with_NotLeader_when_no_leader_is_known()
    {
        var cluster = new TestCluster(3);
        Assert.Equal(ProposalStatus.NotLeader, cluster[1].Node.ReadIndex(1));
        Assert.Equal(ProposalStatus.NotLeader, cluster[2].Node.ReadIndex(1));
    }

    [Fact]
    public void A_leader_with_a_valid_lease_answers_ReadIndex_at_once_without_a_heartbeat_round()
    {
        var cluster = WithLeaseHolder(out var leader);

        leader.Node.ReadIndex(9);
        var sent = leader.HandleReady();

        Assert.Equal([new ReadState(leader.Node.CommitIndex, 9)], leader.ReadStates);
        Assert.DoesNotContain(sent, m => m.Type == MessageType.Heartbeat);
    }

    [Fact]
    public void A_follower_read_is_answered_from_the_leaders_lease_without_a_heartbeat_round()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.TickAll(2);
        Assert.True(cluster[1].Node.HasValidLease);
        var before = cluster.Delivered.Count;

        cluster[3].Node.ReadIndex(11);
        cluster.Deliver();

        Assert.Equal([new ReadState(cluster[1].Node.CommitIndex, 11)], cluster[3].ReadStates);
        Assert.DoesNotContain(cluster.Delivered.Skip(before), m => m.Type == MessageType.Heartbeat);
    }

    [Fact]
    public void Lease_reads_require_CheckQuorum()
    {
        var storage = MemoryStorage.WithVoters(1, 2, 3);
        var unsafeConfig = new RaftConfig { Id = 1, Storage = storage, Random = new Random(1), CheckQuorum = false, LeaseRead = true };
        Assert.Throws<ArgumentException>(unsafeConfig.Validate);
        Assert.Throws<ArgumentException>(() => new RaftNode(unsafeConfig));

        var cluster = new TestCluster(3, c => c with { CheckQuorum = false, LeaseRead = false });
        cluster.Elect(1);
        cluster.ProposeAll(cluster[1], "a");
        cluster.TickAll(2);
        Assert.False(cluster[1].Node.HasValidLease);
        cluster[1].Node.ReadIndex(3);
        var sent = cluster[1].HandleReady();
        Assert.Empty(cluster[1].ReadStates);
        Assert.Contains(sent, m => m.Type == MessageType.Heartbeat && m.Context != 0);
    }

    [Fact]
    public void A_leader_resumed_after_a_pause_in_ticks_counts_only_acknowledgements_of_messages_sent_since()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.TickAll(2);
        var leader = cluster[1].Node;
        Assert.True(leader.HasValidLease);

        // A heartbeat round sent before the pause, acknowledged after it.
        cluster.Hold = m => m.Type == MessageType.HeartbeatResponse;
        cluster.TickAll(2);
        Assert.Equal(2, cluster.Held.Count);
        leader.ResumeAfterPause();
        Assert.False(leader.HasValidLease);
        cluster.Hold = null;
        foreach (var ack in cluster.Held.ToList())
        {
            cluster.Release(ack);
        }
        Assert.False(leader.HasValidLease, "acknowledgements of messages sent before the pause prove nothing about now");

        // The first round sent since (a read's) restores it, without waiting out an election timeout.
        leader.ReadIndex(5);
        cluster.Deliver();
        Assert.Equal([new ReadState(leader.CommitIndex, 5)], cluster[1].ReadStates); // served by that heartbeat round
        Assert.True(leader.HasValidLease);
    }

    [Fact]
    public void The_lease_expires_LeaseTicks_after_the_last_acknowledged_message_was_sent()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.TickAll(2);
        var leader = cluster[1].Node;
        Assert.True(leader.HasValidLease);
        cluster.Cut(2, 1);
        cluster.Cut(3, 1);
        var stamp = leader.Progress.Where(p => p.Key != 1).Max(p => p.Value.AckedTickStamp);
        Assert.Equal(leader.Ticks, stamp);
        var lease = (ulong)new RaftConfig { Id = 1, Storage = new MemoryStorage(), Random = new Random(1) }.LeaseTicks;

        while (leader.Ticks + 1 < stamp + lease)
        {
            cluster.TickAll();
            Assert.True(leader.HasValidLease, $"lease should hold at tick {leader.Ticks}");
            Assert.Equal(stamp + lease - leader.Ticks, (ulong)leader.LeaseTicksLeft); // counts down to the same end tick
        }
        cluster.TickAll();

        Assert.Equal(stamp + lease, leader.Ticks);
        Assert.Equal(RaftRole.Leader, leader.Role);
        Assert.False(leader.HasValidLease);
        Assert.Equal(0, leader.LeaseTicksLeft);
        // Without a lease a read needs a heartbeat round again.
        leader.ReadIndex(1);
        cluster.Deliver();
        Assert.Empty(cluster[1].ReadStates);
    }

    [Fact]
    public void A_voter_that_hears_from_a_live_leader_ignores_the_vote_that_follows_a_pre_vote_it_granted_earlier()
    {
        // Node 2 grants node 3 a pre-vote while it hears no leader, then hears from leader 1 again and
        // acknowledges it, which gives leader 1 a lease. Node 3's real vote request, arriving after that,
        // must be refused: otherwise node 3 becomes leader while node 1 still serves reads from its lease.
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.TickAll(2);
        cluster.Isolate(1);
        for (var i = 0; i < 10; i++)
        {
            cluster[2].Node.Tick();
            cluster.Deliver();
        }
        cluster.Hold = m => m.Type == MessageType.RequestVote && m.To == 2;
        cluster[3].Node.Campaign();
        cluster.Deliver();
        Assert.Equal(RaftRole.Candidate, cluster[3].Node.Role);
        var voteRequest = Assert.Single(cluster.Held);

        cluster.Heal();
        cluster.Cut(1, 3);
        cluster.Cut(3, 1);
        cluster.Hold = null;
        cluster[1].Node.Tick();
        cluster[1].Node.Tick();
        cluster.Deliver();
        Assert.Equal(RaftRole.Leader, cluster[1].Node.Role);
        Assert.Equal(1UL, cluster[2].Node.LeaderId);
        Assert.True(cluster[1].Node.HasValidLease);

        cluster.Release(voteRequest);

        Assert.False(cluster[3].Node.Role == RaftRole.Leader && cluster[1].Node.HasValidLease, "two leaders, one of them serving lease reads");
        Assert.Equal(cluster[1].Node.Term, cluster[2].Node.Term);
        Assert.False(voteRequest.LeaderTransfer);
    }
}
