namespace MultiRaft.Raft.Tests;

/// <summary>Log replication (Raft §5.3): the AppendEntries consistency check, conflict resolution on the
/// follower, and the leader's backtracking to the point where the logs match.</summary>
public class LogReplicationTests
{
    private static readonly ulong[] Three = [1, 2, 3];

    private static (RaftNode Node, MemoryStorage Storage) Follower(ulong[] terms, ulong commit = 0, ulong? term = null)
    {
        var storage = Drive.Storage(Three, terms, commit, term ?? 5);
        return (Drive.Node(2, storage, Drive.Plain), storage);
    }

    private static Message SingleResponse(RaftNode node, MemoryStorage storage)
    {
        var sent = Drive.Flush(node, storage);
        return Assert.Single(sent, m => m.Type == MessageType.AppendResponse);
    }

    [Fact]
    public void Follower_appends_entries_whose_previous_entry_matches_and_acknowledges_the_last_new_index()
    {
        var (node, storage) = Follower([1, 1, 2]);

        node.Step(Drive.Append(1, 2, 5, prevIndex: 3, prevTerm: 2, Drive.Entries(4, 5, 5)));

        Assert.Equal(new ulong[] { 1, 1, 2, 5, 5 }, Drive.Terms(node));
        var response = SingleResponse(node, storage);
        Assert.Equal((false, 5UL), (response.Reject, response.Index));
        Assert.Equal(5UL, storage.LastIndex);
    }

    [Fact]
    public void Follower_rejects_append_whose_previous_entry_term_differs()
    {
        var (node, storage) = Follower([1, 1, 2]);

        node.Step(Drive.Append(1, 2, 5, prevIndex: 3, prevTerm: 3, Drive.Entries(4, 5)));

        Assert.Equal(new ulong[] { 1, 1, 2 }, Drive.Terms(node));
        var response = SingleResponse(node, storage);
        Assert.True(response.Reject);
        Assert.Equal(3UL, response.Index);
        // Hint: our entry 3 has term 2 ≤ 3, so it is the last that could match the leader's log.
        Assert.Equal((3UL, 2UL), (response.RejectHint, response.LogTerm));
    }

    [Fact]
    public void Follower_rejects_append_whose_previous_entry_it_does_not_have_and_hints_its_last_index()
    {
        var (node, storage) = Follower([1, 1]);

        node.Step(Drive.Append(1, 2, 5, prevIndex: 7, prevTerm: 4, Drive.Entries(8, 5)));

        Assert.Equal(2UL, node.LastIndex);
        var response = SingleResponse(node, storage);
        Assert.True(response.Reject);
        Assert.Equal((2UL, 1UL), (response.RejectHint, response.LogTerm));
    }

    [Fact]
    public void Follower_deletes_a_conflicting_suffix_and_appends_the_leaders_entries()
    {
        var (node, storage) = Follower([1, 1, 2, 2, 2]);

        node.Step(Drive.Append(1, 2, 5, prevIndex: 2, prevTerm: 1, Drive.Entries(3, 3)));

        // Entry 3 conflicts (term 2 vs 3): it and everything after it go, even entries 4 and 5 that the
        // leader did not mention.
        Assert.Equal(new ulong[] { 1, 1, 3 }, Drive.Terms(node));
        Assert.Equal(3UL, SingleResponse(node, storage).Index);
        Assert.Equal(3UL, storage.LastIndex);
        storage.Term(3, out var term);
        Assert.Equal(3UL, term);
    }

    [Fact]
    public void Follower_keeps_entries_after_a_stale_append_that_matches_its_log()
    {
        // A delayed duplicate of an old append must not truncate entries that arrived after it.
        var (node, storage) = Follower([1, 1, 1, 1]);

        node.Step(Drive.Append(1, 2, 5, prevIndex: 1, prevTerm: 1, Drive.Entries(2, 1)));

        Assert.Equal(new ulong[] { 1, 1, 1, 1 }, Drive.Terms(node));
        Assert.Equal(2UL, SingleResponse(node, storage).Index); // acknowledges what the message proved, no more
    }

    [Fact]
    public void Follower_commits_up_to_the_leaders_commit_but_never_past_the_last_entry_the_append_proved()
    {
        var (node, storage) = Follower([1, 1, 1, 1, 1]);

        // The append proves entries 1..3 match the leader; 4 and 5 are unverified even though they exist.
        node.Step(Drive.Append(1, 2, 5, prevIndex: 2, prevTerm: 1, Drive.Entries(3, 1), commit: 5));
        Assert.Equal(3UL, node.CommitIndex);

        node.Step(Drive.Append(1, 2, 5, prevIndex: 3, prevTerm: 1, [], commit: 2));
        Assert.Equal(3UL, node.CommitIndex); // the commit index never goes back
        Drive.Flush(node, storage);
        Assert.Equal(3UL, storage.HardState.Commit);
    }

    [Fact]
    public void Follower_answers_an_append_below_its_commit_index_with_its_commit_index()
    {
        var (node, storage) = Follower([1, 1, 1, 1], commit: 3);

        node.Step(Drive.Append(1, 2, 5, prevIndex: 1, prevTerm: 1, Drive.Entries(2, 1)));

        var response = SingleResponse(node, storage);
        Assert.Equal((false, 3UL), (response.Reject, response.Index));
    }

    [Fact]
    public void Leader_brings_a_follower_with_a_conflicting_log_into_agreement()
    {
        var cluster = new TestCluster(3, Drive.Plain);
        cluster.Add(1, Drive.Storage(Three, [1, 1, 4, 4, 5, 5, 6, 6, 6], commit: 0, term: 6), Drive.Plain);
        cluster.Add(2, Drive.Storage(Three, [1, 1, 4, 4, 5, 5, 6, 6, 6], commit: 0, term: 6), Drive.Plain);
        cluster.Add(3, Drive.Storage(Three, [1, 1, 4, 4, 4, 4, 4, 2, 2, 2, 3, 3], commit: 0, term: 4), Drive.Plain);

        cluster.Elect(1);
        cluster[1].Propose("x");
        cluster.Deliver();

        var expected = Drive.Terms(cluster[1].Node);
        Assert.Equal(expected, Drive.Terms(cluster[3].Node));
        Assert.Equal(cluster[1].Node.CommitIndex, cluster[3].Node.CommitIndex);
        Assert.Equal(["x"], cluster[3].AppliedCommands.Where(c => c == "x"));
    }

    [Fact]
    public void Leader_repairs_a_follower_with_many_conflicting_entries_in_one_round_trip_per_term_not_per_entry()
    {
        // Leader: 10 entries of term 1, then 30 each of terms 3, 5, 7. Follower: the same 10, then 90 entries
        // of term 6 from a leader that never committed them. Entry-by-entry backtracking would need ~90
        // rejections; by term it needs one to skip the leader's term-7 entries and one for the follower's 6s.
        var leaderTerms = Drive.Run((1, 10), (3, 30), (5, 30), (7, 30));
        var followerTerms = Drive.Run((1, 10), (6, 90));
        var cluster = new TestCluster(3, Drive.Plain);
        cluster.Add(1, Drive.Storage(Three, leaderTerms, commit: 10, term: 7), Drive.Plain);
        cluster.Add(2, Drive.Storage(Three, leaderTerms, commit: 10, term: 7), Drive.Plain);
        cluster.Add(3, Drive.Storage(Three, followerTerms, commit: 10, term: 6), Drive.Plain);

        cluster.Elect(1);

        var rejections = cluster.Delivered.Where(m => m.Type == MessageType.AppendResponse && m.Reject && m.From == 3).ToList();
        Assert.InRange(rejections.Count, 1, 3);
        Assert.Equal(Drive.Terms(cluster[1].Node), Drive.Terms(cluster[3].Node));
        Assert.Equal(101UL, cluster[3].Node.CommitIndex);
    }

    [Fact]
    public void Leader_catches_up_a_follower_that_is_far_behind_after_a_single_rejection()
    {
        var cluster = new TestCluster(3, Drive.Plain);
        cluster.Elect(1);
        cluster.Isolate(3);
        for (var i = 0; i < 200; i++)
        {
            cluster[1].Propose($"c{i}");
        }
        cluster.Deliver();
        cluster.Heal();
        cluster.Delivered.Clear();

        cluster[1].Propose("last");
        cluster.Deliver();

        // One rejection redirects the leader to the follower's end; an append already on its way when the
        // first rejection arrived may be rejected too (the leader ignores that one as stale).
        Assert.InRange(cluster.Delivered.Count(m => m.Type == MessageType.AppendResponse && m.Reject && m.From == 3), 1, 2);
        Assert.InRange(cluster.Delivered.Count(m => m.Type == MessageType.Append && m.To == 3), 1, 4);
        Assert.Equal(201, cluster[3].Applied.Count);
        Assert.Equal(cluster[1].Node.LastIndex, cluster[3].Node.LastIndex);
    }

    [Fact]
    public void Leader_never_overwrites_or_deletes_entries_in_its_own_log()
    {
        var cluster = new TestCluster(3, Drive.Plain);
        cluster.Add(1, Drive.Storage(Three, [1, 2, 2], commit: 0, term: 2), Drive.Plain);
        cluster.Add(2, Drive.Storage(Three, [1, 2, 2], commit: 0, term: 2), Drive.Plain);
        cluster.Add(3, Drive.Storage(Three, [1, 1, 1, 1, 1, 1], commit: 0, term: 1), Drive.Plain);
        var before = Drive.Terms(cluster[1].Node);

        cluster.Elect(1);

        Assert.Equal([.. before, 3UL], Drive.Terms(cluster[1].Node)); // only its own new-term entry added
        Assert.Equal(Drive.Terms(cluster[1].Node), Drive.Terms(cluster[3].Node));
    }
}
