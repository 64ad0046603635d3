namespace MultiRaft.Raft.Tests;

/// <summary>
/// Trap: "The commit index sent to a follower (heartbeat or append) is capped at what that follower is known
/// to hold". A follower applies its log up to the commit index it is told; if the leader sent its own commit
/// index to a follower that lags or still holds a stale, conflicting tail, the follower would commit (and
/// apply) entries the leader never committed — or ones that do not even exist in its log.
/// </summary>
public class CommitIndexCapTests
{
    private static readonly ulong[] Three = [1, 2, 3];

    [Fact]
    public void Commit_index_cap_heartbeat_carries_at_most_the_followers_known_match()
    {
        var storage = Drive.Storage(Three, [1, 1, 1, 1, 1], commit: 5, term: 1);
        var node = Drive.Node(1, storage, Drive.Plain);
        Drive.MakeLeader(node, storage, ack: false);
        node.Step(Drive.AppendAck(2, 1, 2, 6));
        Drive.Flush(node, storage);
        Assert.Equal(6UL, node.CommitIndex);

        node.Tick();
        node.Tick();
        var heartbeats = Drive.Flush(node, storage).Where(m => m.Type == MessageType.Heartbeat).ToDictionary(m => m.To);

        Assert.Equal(6UL, heartbeats[2].Commit);
        Assert.Equal(0UL, heartbeats[3].Commit); // nothing known about 3 yet, although the leader committed 6

        node.Step(new Message { Type = MessageType.AppendResponse, From = 3, To = 1, Term = 2, Index = 3 });
        node.Tick();
        node.Tick();
        heartbeats = Drive.Flush(node, storage).Where(m => m.Type == MessageType.Heartbeat).ToDictionary(m => m.To);
        Assert.Equal(3UL, heartbeats[3].Commit);
    }

    [Fact]
    public void Commit_index_cap_append_carries_at_most_the_last_entry_it_brings()
    {
        // Nodes 1 and 2 committed five entries; node 3 is empty and is caught up one entry per append.
        var cluster = new TestCluster(3, c => Drive.Plain(c) with { MaxSizePerMessage = 1 });
        cluster.Add(1, Drive.Storage(Three, [1, 1, 1, 1, 1], commit: 5, term: 1), c => Drive.Plain(c) with { MaxSizePerMessage = 1 });
        cluster.Add(2, Drive.Storage(Three, [1, 1, 1, 1, 1], commit: 5, term: 1), c => Drive.Plain(c) with { MaxSizePerMessage = 1 });

        cluster.Elect(1);

        var appendsTo3 = cluster.Delivered.Where(m => m.Type == MessageType.Append && m.To == 3).ToList();
        Assert.All(appendsTo3, m => Assert.True(m.Commit <= m.Index + (ulong)m.Entries.Length, m.ToString()));
        // The catch-up appends carry commit 1, 2, 3, 4, 5 in turn although the leader had committed 5 all along.
        Assert.Equal([1UL, 2UL, 3UL, 4UL, 5UL], appendsTo3.Where(m => m.Entries.Length == 1 && m.Index < 5).Select(m => m.Commit));
        Assert.Equal(cluster[1].Node.CommitIndex, cluster[3].Node.CommitIndex);
        Assert.Equal(Drive.Terms(cluster[1].Node), Drive.Terms(cluster[3].Node));
    }

    [Fact]
    public void Commit_index_cap_heartbeat_never_makes_a_follower_commit_its_stale_conflicting_tail()
    {
        var cluster = new TestCluster(3, Drive.Plain);
        cluster.Elect(1);

        // Old leader 1 appends six commands nobody else sees: indexes 2..7, term 1.
        cluster.Isolate(1);
        for (var i = 0; i < 6; i++)
        {
            cluster[1].Propose($"stale{i}");
        }
        cluster.Deliver();

        // Node 2 leads term 2 with node 3 and commits indexes 2..5 (its empty entry, then a, b, c).
        cluster.Elect(2);
        foreach (var command in new[] { "a", "b", "c" })
        {
            cluster[2].Propose(command);
        }
        cluster.Deliver();
        Assert.Equal(5UL, cluster[2].Node.CommitIndex);
        Assert.Equal(7UL, cluster[1].Node.LastIndex); // longer than the new leader's commit index

        // Node 1 reconnects, but only heartbeats reach it for now.
        cluster.Heal();
        cluster.Drop(MessageType.Append);
        cluster.Delivered.Clear();
        for (var i = 0; i < 4; i++)
        {
            cluster[2].Node.Tick();
            cluster.Deliver();
        }

        Assert.Equal((RaftRole.Follower, 2UL), (cluster[1].Node.Role, cluster[1].Node.LeaderId));
        var heartbeatsTo1 = cluster.Delivered.Where(m => m.Type == MessageType.Heartbeat && m.To == 1).ToList();
        Assert.NotEmpty(heartbeatsTo1);
        Assert.All(heartbeatsTo1, m => Assert.Equal(0UL, m.Commit));
        Assert.Equal(1UL, cluster[1].Node.CommitIndex); // an uncapped commit of 5 would have committed stale0..stale3
        Assert.Empty(cluster[1].AppliedCommands);

        cluster.Heal();
        cluster.TickAll(4);

        Assert.Equal(["a", "b", "c"], cluster[1].AppliedCommands);
        Assert.Equal(Drive.Terms(cluster[2].Node), Drive.Terms(cluster[1].Node));
    }
}
