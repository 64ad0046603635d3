namespace MultiRaft.Raft.Tests;

/// <summary>Leader election (Raft §5.2, §5.4.1): roles, randomized timeouts, terms as fencing tokens, one
/// vote per term, the up-to-date check and split votes.</summary>
public class LeaderElectionTests
{
    private const int Election = 10;
    private static readonly ulong[] Three = [1, 2, 3];

    private static int TicksUntil(RaftNode node, RaftRole role, int limit = 1000)
    {
        for (var tick = 1; tick <= limit; tick++)
        {
            node.Tick();
            if (node.Role == role)
            {
                return tick;
            }
        }
        throw new InvalidOperationException($"node {node.Id} never became {role}");
    }

    [Fact]
    public void Follower_that_hears_nothing_for_an_election_timeout_becomes_candidate_and_requests_votes()
    {
        var storage = MemoryStorage.WithVoters(Three);
        var node = Drive.Node(1, storage, Drive.Plain);
        Assert.Equal(RaftRole.Follower, node.Role);

        var ticks = TicksUntil(node, RaftRole.Candidate);

        Assert.InRange(ticks, Election, 2 * Election - 1);
        Assert.Equal(1UL, node.Term);
        Assert.Equal(1UL, node.Vote);
        var ready = node.GetReady();
        Assert.Equal(new HardState(1, 1, 0), ready.HardState);
        var requests = ready.MessagesAfterPersist.Where(m => m.Type == MessageType.RequestVote).ToList();
        Assert.Equal([2UL, 3UL], requests.Select(m => m.To).Order());
        Assert.All(requests, m => Assert.Equal((1UL, 0UL, 0UL), (m.Term, m.Index, m.LogTerm)));
    }

    [Fact]
    public void Candidate_with_votes_from_a_majority_becomes_leader_and_appends_an_entry_of_its_term()
    {
        var storage = MemoryStorage.WithVoters(1, 2, 3, 4, 5);
        var node = Drive.Node(1, storage, Drive.Plain);
        node.Campaign();
        Drive.Flush(node, storage);

        node.Step(Drive.Vote(2, 1, 1));
        Assert.Equal(RaftRole.Candidate, node.Role); // 2 of 5 is not a majority

        node.Step(Drive.Vote(3, 1, 1));
        Assert.Equal(RaftRole.Leader, node.Role);
        Assert.Equal(1UL, node.LeaderId);
        var ready = node.GetReady();
        Assert.Equal([new Entry(1, 1, EntryType.Normal, ReadOnlyMemory<byte>.Empty)], ready.Entries.ToArray());
        var appends = ready.Messages.Where(m => m.Type == MessageType.Append).ToList();
        Assert.Equal([2UL, 3UL, 4UL, 5UL], appends.Select(m => m.To).Order());
    }

    [Fact]
    public void Candidate_rejected_by_a_majority_returns_to_follower_in_the_same_term()
    {
        var storage = MemoryStorage.WithVoters(Three);
        var node = Drive.Node(1, storage, Drive.Plain);
        node.Campaign();
        Drive.Flush(node, storage);

        node.Step(Drive.Vote(2, 1, 1, granted: false));
        Assert.Equal(RaftRole.Candidate, node.Role);
        node.Step(Drive.Vote(3, 1, 1, granted: false));

        Assert.Equal(RaftRole.Follower, node.Role);
        Assert.Equal(1UL, node.Term);
    }

    [Fact]
    public void Candidate_does_not_count_vote_grants_from_an_earlier_term()
    {
        var storage = MemoryStorage.WithVoters(Three);
        var node = Drive.Node(1, storage, Drive.Plain);
        node.Campaign();
        node.Step(Drive.Vote(2, 1, 1, granted: false));
        node.Step(Drive.Vote(3, 1, 1, granted: false));
        node.Campaign(); // second election, term 2
        Drive.Flush(node, storage);
        Assert.Equal((RaftRole.Candidate, 2UL), (node.Role, node.Term));

        node.Step(Drive.Vote(2, 1, 1)); // a delayed grant for the term-1 election
        node.Step(Drive.Vote(3, 1, 1));

        Assert.Equal((RaftRole.Candidate, 2UL), (node.Role, node.Term));
        node.Step(Drive.Vote(2, 1, 2));
        Assert.Equal(RaftRole.Leader, node.Role);
    }

    [Fact]
    public void Election_timeouts_are_randomized_across_nodes_within_one_to_two_election_timeouts()
    {
        var timeouts = new List<int>();
        for (ulong id = 1; id <= 30; id++)
        {
            var node = Drive.Node(id, MemoryStorage.WithVoters(Enumerable.Range(1, 30).Select(i => (ulong)i).ToArray()), Drive.Plain, seed: 7);
            timeouts.Add(TicksUntil(node, RaftRole.Candidate));
        }

        Assert.All(timeouts, t => Assert.InRange(t, Election, 2 * Election - 1));
        Assert.True(timeouts.Distinct().Count() >= 4, $"timeouts barely vary: {string.Join(',', timeouts)}");
    }

    [Fact]
    public void Each_new_term_draws_a_fresh_randomized_election_timeout()
    {
        var node = Drive.Node(1, MemoryStorage.WithVoters(Three), Drive.Plain);
        var campaignTicks = new List<int>();
        var term = node.Term;
        for (var tick = 1; tick <= 400; tick++)
        {
            node.Tick();
            if (node.Term != term)
            {
                term = node.Term;
                campaignTicks.Add(tick);
            }
        }
        // Nobody answers: the candidate keeps retrying in new terms, each after its own timeout.
        var gaps = campaignTicks.Zip(campaignTicks.Skip(1), (a, b) => b - a).ToList();
        Assert.True(gaps.Count >= 15);
        Assert.All(gaps, g => Assert.InRange(g, Election, 2 * Election - 1));
        Assert.True(gaps.Distinct().Count() >= 3, $"timeouts barely vary: {string.Join(',', gaps)}");
    }

    [Fact]
    public void Group_elects_exactly_one_leader_from_timeouts_alone_and_keeps_it_while_heartbeats_flow()
    {
        var cluster = new TestCluster(5, seed: 3);
        for (var i = 0; i < 2 * Election && cluster.Leader == 0; i++)
        {
            cluster.TickAll();
        }
        var leader = cluster.Leader;
        Assert.NotEqual(0UL, leader);
        var term = cluster[leader].Node.Term;
        Assert.All(cluster.Peers.Values, p => Assert.Equal((term, leader), (p.Node.Term, p.Node.LeaderId)));

        cluster.TickAll(10 * Election);

        Assert.Equal(leader, cluster.Leader);
        Assert.All(cluster.Peers.Values, p => Assert.Equal(term, p.Node.Term));
    }

    [Fact]
    public void Leader_that_sees_a_higher_term_in_a_response_steps_down_to_follower_of_that_term()
    {
        var storage = MemoryStorage.WithVoters(Three);
        var node = Drive.Node(1, storage, Drive.Plain);
        Drive.MakeLeader(node, storage);

        node.Step(new Message { Type = MessageType.AppendResponse, From = 2, To = 1, Term = 7, Index = 0 });

        Assert.Equal(RaftRole.Follower, node.Role);
        Assert.Equal(7UL, node.Term);
        Assert.Equal(RaftNode.None, node.LeaderId);
        Assert.Equal(RaftNode.None, node.Vote);
    }

    [Fact]
    public void Leader_that_receives_a_heartbeat_of_a_higher_term_follows_its_sender()
    {
        var storage = MemoryStorage.WithVoters(Three);
        var node = Drive.Node(1, storage, Drive.Plain);
        Drive.MakeLeader(node, storage);

        node.Step(new Message { Type = MessageType.Heartbeat, From = 3, To = 1, Term = 5 });

        Assert.Equal((RaftRole.Follower, 5UL, 3UL), (node.Role, node.Term, node.LeaderId));
    }

    [Fact]
    public void Candidate_that_receives_append_from_a_leader_of_its_own_term_becomes_its_follower()
    {
        var storage = MemoryStorage.WithVoters(Three);
        var node = Drive.Node(1, storage, Drive.Plain);
        node.Campaign();
        Drive.Flush(node, storage);

        node.Step(Drive.Append(from: 2, to: 1, term: 1, prevIndex: 0, prevTerm: 0, Drive.Entries(1, 1)));

        Assert.Equal((RaftRole.Follower, 1UL, 2UL), (node.Role, node.Term, node.LeaderId));
        Assert.Equal(1UL, node.LastIndex);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Append_from_a_stale_term_is_rejected_and_leaves_the_log_untouched(bool preVoteAndCheckQuorum)
    {
        var storage = Drive.Storage(Three, [1, 2, 3], commit: 1, term: 4);
        var node = Drive.Node(2, storage, c => preVoteAndCheckQuorum ? c : Drive.Plain(c));

        node.Step(Drive.Append(from: 1, to: 2, term: 3, prevIndex: 1, prevTerm: 1, Drive.Entries(2, 3, 3, 3), commit: 4));

        Assert.Equal(new ulong[] { 1, 2, 3 }, Drive.Terms(node));
        Assert.Equal((4UL, 1UL, RaftNode.None), (node.Term, node.CommitIndex, node.LeaderId));
        var sent = Drive.Flush(node, storage);
        if (preVoteAndCheckQuorum)
        {
            // The stale leader must learn the newer term, or with pre-vote it could hold its followers forever.
            var response = Assert.Single(sent);
            Assert.Equal((MessageType.AppendResponse, 1UL, 4UL), (response.Type, response.To, response.Term));
        }
        else
        {
            Assert.Empty(sent);
        }
    }

    [Fact]
    public void Stale_leader_returning_from_a_partition_learns_the_new_term_from_a_response_and_steps_down()
    {
        // Pre-vote without check-quorum: the old leader keeps believing it leads while cut off.
        var cluster = new TestCluster(3, c => c with { CheckQuorum = false, LeaseRead = false }, seed: 5);
        cluster.Elect(1);
        cluster.Isolate(1);
        for (var i = 0; i < 4 * Election && cluster[2].Node.Role != RaftRole.Leader && cluster[3].Node.Role != RaftRole.Leader; i++)
        {
            cluster[2].Node.Tick();
            cluster[3].Node.Tick();
            cluster.Deliver();
        }
        var newLeader = cluster[2].Node.Role == RaftRole.Leader ? 2UL : 3UL;
        Assert.Equal(RaftRole.Leader, cluster[newLeader].Node.Role);
        Assert.Equal((RaftRole.Leader, 1UL), (cluster[1].Node.Role, cluster[1].Node.Term));
        Assert.Equal(2UL, cluster[newLeader].Node.Term);

        cluster.Heal();
        cluster.Delivered.Clear();
        for (var i = 0; i < 2; i++)
        {
            cluster[1].Node.Tick(); // only the stale leader's clock runs: its heartbeats are answered
            cluster.Deliver();
        }

        Assert.Contains(cluster.Delivered, m => m.Type == MessageType.AppendResponse && m.To == 1 && m.Term == 2);
        Assert.Equal((RaftRole.Follower, 2UL), (cluster[1].Node.Role, cluster[1].Node.Term));
        Assert.Equal(newLeader, cluster.Leader);
    }

    [Fact]
    public void Vote_request_from_a_lower_term_is_rejected_and_changes_nothing()
    {
        var storage = Drive.Storage(Three, [1, 1], commit: 0, term: 3);
        var node = Drive.Node(2, storage, Drive.Plain);

        node.Step(new Message { Type = MessageType.RequestVote, From = 1, To = 2, Term = 2, Index = 9, LogTerm = 2 });

        Assert.Equal((3UL, RaftNode.None), (node.Term, node.Vote));
        Assert.DoesNotContain(Drive.Flush(node, storage), m => m.Type == MessageType.RequestVoteResponse && !m.Reject);
    }

    [Fact]
    public void Vote_request_of_a_higher_term_makes_the_voter_adopt_that_term_before_deciding()
    {
        var storage = Drive.Storage(Three, [1], commit: 0, term: 1);
        var node = Drive.Node(2, storage, Drive.Plain);
        node.Step(new Message { Type = MessageType.RequestVote, From = 1, To = 2, Term = 1, Index = 1, LogTerm = 1 });
        Assert.Equal(1UL, node.Vote);

        node.Step(new Message { Type = MessageType.RequestVote, From = 3, To = 2, Term = 2, Index = 1, LogTerm = 1 });

        Assert.Equal((2UL, 3UL), (node.Term, node.Vote));
        var responses = Drive.Flush(node, storage).Where(m => m.Type == MessageType.RequestVoteResponse).ToList();
        Assert.Equal([(1UL, 1UL, false), (3UL, 2UL, false)], responses.Select(m => (m.To, m.Term, m.Reject)));
        Assert.Equal(new HardState(2, 3, 0), storage.HardState);
    }

    [Fact]
    public void Voter_grants_at_most_one_vote_per_term_but_repeats_it_to_the_same_candidate()
    {
        var storage = MemoryStorage.WithVoters(Three);
        var node = Drive.Node(1, storage, Drive.Plain);

        node.Step(new Message { Type = MessageType.RequestVote, From = 2, To = 1, Term = 1 });
        node.Step(new Message { Type = MessageType.RequestVote, From = 3, To = 1, Term = 1 });
        node.Step(new Message { Type = MessageType.RequestVote, From = 2, To = 1, Term = 1 });

        var responses = Drive.Flush(node, storage).Where(m => m.Type == MessageType.RequestVoteResponse).ToList();
        Assert.Equal([(2UL, false), (3UL, true), (2UL, false)], responses.Select(m => (m.To, m.Reject)));
        Assert.Equal(2UL, node.Vote);
    }

    [Fact]
    public void Vote_cast_in_a_term_survives_a_restart()
    {
        var storage = MemoryStorage.WithVoters(Three);
        var node = Drive.Node(1, storage, Drive.Plain);
        node.Step(new Message { Type = MessageType.RequestVote, From = 2, To = 1, Term = 1 });
        Drive.Flush(node, storage);

        var restarted = Drive.Node(1, storage, Drive.Plain);
        restarted.Step(new Message { Type = MessageType.RequestVote, From = 3, To = 1, Term = 1 });

        Assert.Equal((1UL, 2UL), (restarted.Term, restarted.Vote));
        var response = Assert.Single(Drive.Flush(restarted, storage));
        Assert.True(response.Reject);
    }

    [Theory]
    [InlineData(3UL, 5UL, true)] // same last term, same length
    [InlineData(3UL, 9UL, true)] // same last term, longer
    [InlineData(3UL, 4UL, false)] // same last term, shorter
    [InlineData(2UL, 10UL, false)] // older last term, however long
    [InlineData(4UL, 1UL, true)] // newer last term, however short
    public void Voter_grants_only_candidates_whose_log_is_at_least_as_up_to_date_comparing_last_term_then_last_index(
        ulong candidateLastTerm, ulong candidateLastIndex, bool granted)
    {
        var storage = Drive.Storage(Three, [1, 1, 2, 3, 3], commit: 0, term: 3);
        var node = Drive.Node(2, storage, Drive.Plain);

        node.Step(new Message { Type = MessageType.RequestVote, From = 1, To = 2, Term = 5, Index = candidateLastIndex, LogTerm = candidateLastTerm });

        var response = Assert.Single(Drive.Flush(node, storage));
        Assert.Equal((MessageType.RequestVoteResponse, !granted), (response.Type, response.Reject));
        Assert.Equal(5UL, node.Term); // the term is adopted either way
        Assert.Equal(granted ? 1UL : RaftNode.None, node.Vote);
    }

    [Fact]
    public void Candidates_that_split_the_vote_time_out_and_retry_in_a_new_term_until_one_wins()
    {
        var cluster = new TestCluster(4, Drive.Plain, seed: 11);
        // 1 and 2 campaign at once; 3 hears only from 1 and 4 only from 2: two votes each, three needed.
        cluster.Cut(1, 4);
        cluster.Cut(2, 3);
        cluster[1].Node.Campaign();
        cluster[2].Node.Campaign();
        cluster.Deliver();

        Assert.Equal(RaftRole.Candidate, cluster[1].Node.Role);
        Assert.Equal(RaftRole.Candidate, cluster[2].Node.Role);
        Assert.All(cluster.Peers.Values, p => Assert.Equal(1UL, p.Node.Term));
        Assert.Equal(0UL, cluster.Leader);

        cluster.Heal();
        for (var i = 0; i < 2 * Election && cluster.Leader == 0; i++)
        {
            cluster.TickAll();
        }

        var leader = cluster.Leader;
        Assert.NotEqual(0UL, leader);
        Assert.True(cluster[leader].Node.Term >= 2);
        Assert.All(cluster.Peers.Values, p => Assert.Equal(leader, p.Node.LeaderId));
    }
}
