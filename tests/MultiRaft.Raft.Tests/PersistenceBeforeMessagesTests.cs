namespace MultiRaft.Raft.Tests;

/// <summary>
/// Trap: "Persistence before messages". A response promises what the responder has stored (its log, its
/// term and vote), so it may only leave once the Ready that stores it is durable: AppendResponse and vote
/// responses (and a candidate's vote requests) travel in <see cref="Ready.MessagesAfterPersist"/>, never in
/// <see cref="Ready.Messages"/>. Likewise a leader counts its own copy of an entry toward commit only after
/// the host has persisted it (<see cref="RaftNode.Advance"/>).
/// </summary>
public class PersistenceBeforeMessagesTests
{
    private static readonly ulong[] Three = [1, 2, 3];

    private static readonly MessageType[] PromisesDurableState =
        [MessageType.AppendResponse, MessageType.RequestVoteResponse, MessageType.RequestPreVoteResponse];

    [Fact]
    public void Persistence_before_messages_append_response_leaves_only_after_the_entries_are_persisted()
    {
        var storage = MemoryStorage.WithVoters(Three);
        var node = Drive.Node(2, storage, Drive.Plain);

        node.Step(Drive.Append(1, 2, 1, 0, 0, Drive.Entries(1, 1, 1)));

        var ready = node.GetReady();
        Assert.Equal(2, ready.Entries.Length);
        Assert.True(ready.MustSync);
        Assert.DoesNotContain(ready.Messages, m => m.Type == MessageType.AppendResponse);
        var response = Assert.Single(ready.MessagesAfterPersist);
        Assert.Equal((MessageType.AppendResponse, 2UL, false), (response.Type, response.Index, response.Reject));
        Assert.Equal(0UL, storage.LastIndex); // the node wrote nothing itself: the host persists
        node.Advance(ready);
    }

    [Fact]
    public void Persistence_before_messages_rejection_that_carries_a_new_term_waits_for_that_term_to_be_persisted()
    {
        var storage = Drive.Storage(Three, [1], commit: 0, term: 1);
        var node = Drive.Node(2, storage);

        node.Step(Drive.Append(1, 2, 2, prevIndex: 5, prevTerm: 2, Drive.Entries(6, 2)));

        var ready = node.GetReady();
        Assert.Equal(2UL, ready.HardState?.Term);
        Assert.True(ready.MustSync);
        Assert.Empty(ready.Messages);
        var response = Assert.Single(ready.MessagesAfterPersist);
        Assert.Equal((MessageType.AppendResponse, true, 2UL), (response.Type, response.Reject, response.Term));
    }

    [Fact]
    public void Persistence_before_messages_vote_response_leaves_only_after_the_vote_is_persisted()
    {
        var storage = MemoryStorage.WithVoters(Three);
        var node = Drive.Node(2, storage, Drive.Plain);

        node.Step(new Message { Type = MessageType.RequestVote, From = 1, To = 2, Term = 1 });

        var ready = node.GetReady();
        Assert.Equal(new HardState(1, 1, 0), ready.HardState);
        Assert.True(ready.MustSync);
        Assert.Empty(ready.Messages);
        var response = Assert.Single(ready.MessagesAfterPersist);
        Assert.Equal((MessageType.RequestVoteResponse, false), (response.Type, response.Reject));
    }

    [Fact]
    public void Persistence_before_messages_candidate_asks_for_votes_only_after_persisting_its_own()
    {
        var storage = MemoryStorage.WithVoters(Three);
        var node = Drive.Node(1, storage, Drive.Plain);

        node.Campaign();

        var ready = node.GetReady();
        Assert.Equal(new HardState(1, 1, 0), ready.HardState);
        Assert.True(ready.MustSync);
        Assert.DoesNotContain(ready.Messages, m => m.Type == MessageType.RequestVote);
        Assert.Equal(2, ready.MessagesAfterPersist.Count(m => m.Type == MessageType.RequestVote));
    }

    [Fact]
    public void Persistence_before_messages_no_response_travels_ahead_of_persistence_in_a_busy_group()
    {
        var net = new StepNetwork(3);
        for (var round = 0; round < 3; round++)
        {
            for (var tick = 0; tick < 60 && net.Nodes.Values.All(n => n.Role != RaftRole.Leader); tick++)
            {
                foreach (var id in net.Nodes.Keys)
                {
                    net.Tick(id);
                }
            }
            var leader = net.Nodes.Values.Single(n => n.Role == RaftRole.Leader).Id;
            for (var i = 0; i < 5; i++)
            {
                net.Propose(leader, $"r{round}-{i}");
                net.Run();
            }
            net.Crash(leader); // force another election next round, with a follower that lags behind
            net.Restart(leader);
            net.Lose = m => m.From == leader || m.To == leader;
        }

        Assert.True(net.Readies.Count > 50);
        foreach (var (_, ready) in net.Readies)
        {
            Assert.DoesNotContain(ready.Messages, m => PromisesDurableState.Contains(m.Type) || m.Type == MessageType.RequestVote);
        }
        Assert.Contains(net.Readies, r => r.Ready.MessagesAfterPersist.Any(m => m.Type == MessageType.AppendResponse));
        Assert.Contains(net.Readies, r => r.Ready.MessagesAfterPersist.Any(m => m.Type == MessageType.RequestVoteResponse));
    }

    [Fact]
    public void Persistence_before_messages_leader_does_not_count_its_own_entry_toward_commit_before_advance()
    {
        var storage = MemoryStorage.WithVoters(Three);
        var node = Drive.Node(1, storage, Drive.Plain);
        Drive.MakeLeader(node, storage);
        Assert.Equal(1UL, node.CommitIndex);

        var index = node.Propose("x"u8.ToArray()).Index;
        var ready = node.GetReady();
        Assert.Equal([index], ready.Entries.ToArray().Select(e => e.Index));

        // Follower 2 has stored it; with the leader's copy that would be two of three — but the leader's
        // copy is not durable yet.
        node.Step(Drive.AppendAck(2, 1, 1, index));
        Assert.Equal(1UL, node.CommitIndex);
        Assert.Equal(1UL, node.Progress[1].Match);

        Drive.Persist(node, storage, ready);

        Assert.Equal(index, node.Progress[1].Match);
        Assert.Equal(index, node.CommitIndex);
        Assert.Equal([index], node.GetReady().CommittedEntries.ToArray().Select(e => e.Index));
    }

    [Fact]
    public void Persistence_before_messages_a_majority_of_followers_commits_without_the_leaders_own_copy()
    {
        var storage = MemoryStorage.WithVoters(Three);
        var node = Drive.Node(1, storage, Drive.Plain);
        Drive.MakeLeader(node, storage);
        var index = node.Propose("x"u8.ToArray()).Index;
        var ready = node.GetReady();

        node.Step(Drive.AppendAck(2, 1, 1, index));
        node.Step(Drive.AppendAck(3, 1, 1, index));

        Assert.Equal(index, node.CommitIndex); // two durable copies out of three: committed
        Assert.Equal(1UL, node.Progress[1].Match);
        Drive.Persist(node, storage, ready);
    }

    [Fact]
    public void Persistence_before_messages_single_voter_commits_only_once_its_write_is_durable()
    {
        var storage = MemoryStorage.WithVoters(1);
        var node = Drive.Node(1, storage);
        node.Campaign();
        Assert.Equal(RaftRole.Leader, node.Role);
        Drive.Flush(node, storage);
        Assert.Equal(1UL, node.CommitIndex);

        var index = node.Propose("solo"u8.ToArray()).Index;
        var ready = node.GetReady();
        Assert.Single(ready.Entries.ToArray());
        Assert.Empty(ready.CommittedEntries.ToArray());
        Assert.Equal(1UL, node.CommitIndex);

        Drive.Persist(node, storage, ready);

        Assert.Equal(index, node.CommitIndex);
        var next = node.GetReady();
        Assert.Equal(["solo"], next.CommittedEntries.ToArray().Select(StepNetwork.Text));
        node.Advance(next);
    }
}
