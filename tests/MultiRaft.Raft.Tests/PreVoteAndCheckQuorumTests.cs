namespace MultiRaft.Raft.Tests;

/// <summary>Raft thesis §9.6 (pre-vote) and §6.2 / §4.2.3 (check-quorum, ignoring disruptive vote requests
/// while a leader is known to be alive).</summary>
public class PreVoteAndCheckQuorumTests
{
    private const int Election = 10;
    private static readonly ulong[] Three = [1, 2, 3];

    [Fact]
    public void Pre_candidate_asks_for_votes_in_the_next_term_without_adopting_it_until_a_majority_agrees()
    {
        var storage = MemoryStorage.WithVoters(Three);
        var node = Drive.Node(1, storage);

        node.Campaign();

        Assert.Equal((RaftRole.PreCandidate, 0UL, RaftNode.None), (node.Role, node.Term, node.Vote));
        var ready = node.GetReady();
        Assert.Null(ready.HardState); // nothing to persist: neither term nor vote changed
        Assert.All(ready.MessagesAfterPersist, m => Assert.Equal((MessageType.RequestPreVote, 1UL), (m.Type, m.Term)));
        Assert.Equal(2, ready.MessagesAfterPersist.Count);
        node.Advance(ready);

        node.Step(new Message { Type = MessageType.RequestPreVoteResponse, From = 2, To = 1, Term = 1 });

        Assert.Equal((RaftRole.Candidate, 1UL, 1UL), (node.Role, node.Term, node.Vote));
        Assert.Contains(node.GetReady().MessagesAfterPersist, m => m.Type == MessageType.RequestVote && m.Term == 1);
    }

    [Fact]
    public void Partitioned_node_with_pre_vote_keeps_its_term_while_isolated()
    {
        var cluster = new TestCluster(3, seed: 2);
        cluster.Elect(1);
        cluster.Isolate(3);

        cluster.TickAll(10 * Election);

        Assert.Equal(1UL, cluster[3].Node.Term);
        Assert.NotEqual(RaftRole.Leader, cluster[3].Node.Role);
        Assert.Contains(cluster[3].Node.Role, new[] { RaftRole.PreCandidate, RaftRole.Follower });
        Assert.Equal((1UL, 1UL), (cluster.Leader, cluster[1].Node.Term));
    }

    [Fact]
    public void Partitioned_node_with_pre_vote_rejoins_without_deposing_the_healthy_leader()
    {
        var cluster = new TestCluster(3, seed: 2);
        cluster.Elect(1);
        cluster.Isolate(3);
        cluster.TickAll(10 * Election);
        cluster[1].Propose("while-3-was-away");
        cluster.Deliver();

        cluster.Heal();
        cluster.TickAll(5 * Election);

        Assert.Equal(1UL, cluster.Leader);
        Assert.All(cluster.Peers.Values, p => Assert.Equal((1UL, 1UL), (p.Node.Term, p.Node.LeaderId)));
        Assert.Equal(["while-3-was-away"], cluster[3].AppliedCommands);
    }

    [Fact]
    public void Without_pre_vote_a_rejoining_node_has_inflated_its_term_and_deposes_the_leader()
    {
        // The contrast that motivates pre-vote: same scenario, plain Raft.
        var cluster = new TestCluster(3, Drive.Plain, seed: 2);
        cluster.Elect(1);
        cluster.Isolate(3);
        cluster.TickAll(10 * Election);
        var inflated = cluster[3].Node.Term;
        Assert.True(inflated > 3, $"isolated candidate only reached term {inflated}");

        cluster.Heal();
        cluster.TickAll(5 * Election);

        Assert.NotEqual(0UL, cluster.Leader);
        Assert.True(cluster[cluster.Leader].Node.Term >= inflated);
    }

    [Fact]
    public void Pre_vote_for_a_candidate_with_a_stale_log_is_refused_even_without_check_quorum()
    {
        var cluster = new TestCluster(3, c => c with { CheckQuorum = false, LeaseRead = false }, seed: 4);
        cluster.Elect(1);
        cluster.Isolate(3);
        cluster[1].Propose("x");
        cluster.Deliver();
        cluster.TickAll(6 * Election);
        Assert.Equal(1UL, cluster[3].Node.Term);

        // Only node 3's clock runs: its pre-votes reach the others, whose logs are newer.
        cluster.Heal();
        cluster.Drop(MessageType.Heartbeat);
        cluster.Delivered.Clear();
        for (var i = 0; i < 3 * Election; i++)
        {
            cluster[3].Node.Tick();
            cluster.Deliver();
        }

        Assert.Contains(cluster.Delivered, m => m.Type == MessageType.RequestPreVote && m.From == 3);
        Assert.All(cluster.Delivered.Where(m => m.Type == MessageType.RequestPreVoteResponse), m => Assert.True(m.Reject));
        Assert.DoesNotContain(cluster.Delivered, m => m.Type == MessageType.RequestVote);
        Assert.Equal((1UL, 1UL), (cluster.Leader, cluster[1].Node.Term));
        Assert.Equal(1UL, cluster[3].Node.Term);
    }

    [Fact]
    public void Leader_that_has_not_heard_from_a_quorum_within_an_election_timeout_steps_down()
    {
        var cluster = new TestCluster(3, seed: 6);
        cluster.Elect(1);
        cluster.Isolate(1);

        var steppedDownAt = 0;
        for (var tick = 1; tick <= 3 * Election; tick++)
        {
            cluster[1].Node.Tick();
            cluster.Deliver();
            if (cluster[1].Node.Role != RaftRole.Leader)
            {
                steppedDownAt = tick;
                break;
            }
        }

        // Acks from before the partition may carry it through the first check, never the second.
        Assert.InRange(steppedDownAt, Election, 2 * Election);
        Assert.Equal((RaftRole.Follower, 1UL, RaftNode.None), (cluster[1].Node.Role, cluster[1].Node.Term, cluster[1].Node.LeaderId));
    }

    [Fact]
    public void Leader_that_hears_from_a_quorum_keeps_leading_while_a_minority_is_cut_off()
    {
        var cluster = new TestCluster(5, seed: 6);
        cluster.Elect(1);
        cluster.Isolate(4);
        cluster.Isolate(5);

        cluster.TickAll(10 * Election);

        Assert.Equal(1UL, cluster.Leader);
        Assert.Equal(1UL, cluster[1].Node.Term);
        Assert.Equal(1UL, cluster[4].Node.Term); // pre-vote keeps the cut-off minority's terms too
    }

    [Theory]
    [InlineData(MessageType.RequestVote)]
    [InlineData(MessageType.RequestPreVote)]
    public void Follower_that_heard_from_its_leader_within_an_election_timeout_ignores_vote_requests(MessageType type)
    {
        var cluster = new TestCluster(3, seed: 8);
        cluster.Elect(1);
        var follower = cluster[2].Node;

        follower.Step(new Message { Type = type, From = 3, To = 2, Term = 9, Index = 100, LogTerm = 8 });

        Assert.Equal((1UL, 1UL, 1UL), (follower.Term, follower.Vote, follower.LeaderId));
        Assert.False(follower.HasReady); // not even a rejection: the request is ignored
    }

    [Fact]
    public void Leader_with_check_quorum_ignores_a_higher_term_vote_request_and_keeps_its_term()
    {
        var cluster = new TestCluster(3, seed: 8);
        cluster.Elect(1);

        cluster[1].Node.Step(new Message { Type = MessageType.RequestVote, From = 3, To = 1, Term = 9, Index = 100, LogTerm = 8 });

        Assert.Equal((RaftRole.Leader, 1UL), (cluster[1].Node.Role, cluster[1].Node.Term));
    }

    [Fact]
    public void Follower_grants_a_vote_once_an_election_timeout_passed_without_hearing_from_the_leader()
    {
        var cluster = new TestCluster(3, seed: 8);
        cluster.Elect(1);
        var follower = cluster[2].Node;
        for (var i = 0; i < Election; i++)
        {
            follower.Tick(); // nothing delivered: the leader has gone quiet
        }

        follower.Step(new Message { Type = MessageType.RequestVote, From = 3, To = 2, Term = 9, Index = 100, LogTerm = 8 });

        Assert.Equal((9UL, 3UL), (follower.Term, follower.Vote));
        Assert.Contains(follower.GetReady().MessagesAfterPersist, m => m.Type == MessageType.RequestVoteResponse && !m.Reject && m.To == 3);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void A_node_starting_with_a_term_ignores_votes_for_an_election_timeout_unless_told_it_is_new(bool quietOnStart, bool grants)
    {
        var storage = Drive.Storage([1, 2, 3], [1, 1], commit: 2);
        var node = Drive.Node(1, storage, c => c with { QuietOnStart = quietOnStart });

        node.Step(new Message { Type = MessageType.RequestVote, From = 2, To = 1, Term = 2, LogTerm = 1, Index = 2 });

        var granted = Drive.Flush(node, storage).Any(m => m.Type == MessageType.RequestVoteResponse && !m.Reject);
        Assert.Equal(grants, granted);
        Assert.Equal(grants ? 2UL : 1UL, node.Term);
    }
}
