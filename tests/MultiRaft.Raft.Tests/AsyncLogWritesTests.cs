namespace MultiRaft.Raft.Tests;

/// <summary>A host with a log writer thread advances each Ready before its write is durable and reports the
/// write later: the node must keep taking input meanwhile, count its own copy toward a commit only once it is
/// durable, hand out committed entries only once it holds them durably, and ignore reports about entries a new
/// leader has since replaced.</summary>
public class AsyncLogWritesTests
{
    private static RaftConfig WritingLater(RaftConfig config) => config with { AsyncLogWrites = true };

    private static TestCluster ThreeVotersWritingLater()
    {
        var cluster = new TestCluster(3, WritingLater);
        cluster.Elect(1);
        foreach (var peer in cluster.Peers.Values)
        {
            peer.WritesLater = true;
        }
        return cluster;
    }

    [Fact]
    public void The_leader_replicates_before_its_own_write_is_durable_but_applies_only_after_it()
    {
        var cluster = ThreeVotersWritingLater();
        var leader = cluster[1];
        var committedBefore = leader.Node.CommitIndex;

        leader.Propose("a");
        cluster.Deliver(); // The leader's write stays pending; the followers' writes too.
        Assert.Equal(committedBefore, leader.Node.CommitIndex);
        Assert.Single(leader.Writes);

        cluster[2].FlushWrites();
        cluster[3].FlushWrites();
        cluster.Deliver();

        // Two durable followers are a quorum without the leader's copy...
        Assert.Equal(committedBefore + 1, leader.Node.CommitIndex);
        // ...but the leader applies nothing it does not hold durably itself.
        Assert.Empty(leader.AppliedCommands);
        Assert.False(leader.Node.HasReady);

        leader.FlushWrites();
        cluster.Deliver();

        Assert.Equal(["a"], leader.AppliedCommands);
    }

    [Fact]
    public void A_follower_acknowledges_entries_only_once_its_write_is_durable()
    {
        var cluster = ThreeVotersWritingLater();
        var leader = cluster[1];
        cluster.Isolate(3);
        var committedBefore = leader.Node.CommitIndex;

        leader.Propose("a");
        cluster.Deliver();
        leader.FlushWrites();
        cluster.Deliver();
        Assert.Equal(committedBefore, leader.Node.CommitIndex);
        Assert.DoesNotContain(cluster.Delivered, m => m.Type == MessageType.AppendResponse && m.From == 2 && m.Index > committedBefore);

        cluster[2].FlushWrites();
        cluster.Deliver();

        Assert.Equal(committedBefore + 1, leader.Node.CommitIndex);
        Assert.Equal(["a"], leader.AppliedCommands);
    }

    [Fact]
    public void The_leader_takes_proposals_while_earlier_writes_are_in_flight_and_hands_each_entry_out_once()
    {
        var cluster = ThreeVotersWritingLater();
        var leader = cluster[1];

        leader.Propose("a");
        cluster.Deliver();
        leader.Propose("b");
        cluster.Deliver();
        Assert.Equal(2, leader.Writes.Count(w => w.Entries.Length > 0));
        Assert.Equal(["a", "b"], leader.Writes.SelectMany(w => w.Entries).Select(e => RaftTestHelpers.Text(e.Data)));

        leader.FlushWrites(1);
        foreach (var follower in new[] { cluster[2], cluster[3] })
        {
            follower.FlushWrites();
        }
        cluster.Deliver();
        Assert.Equal(["a"], leader.AppliedCommands);

        leader.FlushWrites();
        cluster.Deliver();
        Assert.Equal(["a", "b"], leader.AppliedCommands);
        Assert.Equal(["a", "b"], cluster[2].AppliedCommands);
    }

    [Fact]
    public void A_report_about_entries_a_new_leader_replaced_is_ignored_until_the_new_entries_are_durable()
    {
        var storage = MemoryStorage.WithVoters(1, 2, 3);
        var node = RaftTestHelpers.NewNode(3, storage, WritingLater);
        static Entry Made(ulong index, ulong term, string text) => new(term, index, EntryType.Normal, RaftTestHelpers.Bytes(text));
        Entry[] oldEntries = [Made(1, 1, "old-1"), Made(2, 1, "old-2")];
        Entry[] newEntries = [Made(2, 2, "new-2")];

        // Leader 1 of term 1 sends entries 1 and 2; the follower takes them to write.
        node.Step(new Message { Type = MessageType.Append, From = 1, To = 3, Term = 1, Index = 0, LogTerm = 0, Entries = oldEntries });
        var first = node.GetReady();
        Assert.Equal([1UL, 2], first.Entries.Select(e => e.Index));
        node.AdvanceWritingLater(first);

        // Before that write is durable, leader 2 of term 2 replaces entry 2 and commits it.
        node.Step(new Message { Type = MessageType.Append, From = 2, To = 3, Term = 2, Index = 1, LogTerm = 1, Entries = newEntries, Commit = 2 });
        var second = node.GetReady();
        Assert.Equal([(2UL, 2UL)], second.Entries.Select(e => (e.Index, e.Term)));
        Assert.Empty(second.CommittedEntries); // Nothing is durable here yet.
        node.AdvanceWritingLater(second);

        storage.Append(oldEntries);
        node.PersistedTo(2, 1); // About the replaced entry: new-2 is not durable, so nothing may be applied.
        Assert.False(node.HasReady);

        storage.Append(newEntries);
        node.PersistedTo(2, 2);
        var third = node.GetReady();
        Assert.Empty(third.Entries);
        Assert.Equal(["old-1", "new-2"], third.CommittedEntries.Select(e => RaftTestHelpers.Text(e.Data)));
        Assert.Equal(2UL, storage.StoredTerm(2));
    }

    [Fact]
    public void A_leader_whose_write_was_lost_in_a_crash_never_counted_it()
    {
        var cluster = ThreeVotersWritingLater();
        var leader = cluster[1];
        cluster.Isolate(2);
        cluster.Isolate(3);
        var committedBefore = leader.Node.CommitIndex;

        leader.Propose("a");
        cluster.Deliver();
        Assert.Equal(committedBefore, leader.Node.CommitIndex);

        var restarted = cluster.Restart(1, WritingLater); // The pending write never reached storage.
        Assert.Equal(committedBefore, restarted.Node.LastIndex);
    }

    [Fact]
    public void Writing_later_needs_the_setting()
    {
        var node = RaftTestHelpers.NewNode(1, MemoryStorage.WithVoters(1));
        node.Campaign();
        var ready = node.GetReady();

        Assert.Throws<InvalidOperationException>(() => node.AdvanceWritingLater(ready));
    }
}
