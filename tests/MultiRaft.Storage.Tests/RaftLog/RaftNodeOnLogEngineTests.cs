using System.Text;
using MultiRaft.Raft;
using MultiRaft.Storage.RaftLog;

namespace MultiRaft.Storage.Tests.RaftLog;

/// <summary>The Raft core runs unchanged on the shared log: its Ready goes into one write batch and one sync.</summary>
public class RaftNodeOnLogEngineTests
{
    private const ulong Region = 9;

    private static RaftNode NewNode(RaftLogEngine engine, ulong applied) => new(new RaftConfig
    {
        Id = 1,
        Storage = new RegionRaftStorage(engine, Region, ConfState.OfVoters(1)),
        Random = new Random(1),
        Applied = applied,
    });

    /// <summary>Persists each Ready in one batch and one sync, then applies; returns applied commands.</summary>
    private static List<string> Drive(RaftNode node, RaftLogEngine engine)
    {
        var applied = new List<string>();
        var batch = new LogWriteBatch();
        while (node.HasReady)
        {
            var ready = node.GetReady();
            batch.Clear();
            batch.AddEntries(Region, ready.Entries);
            if (ready.HardState is { } hard)
            {
                batch.SetHardState(Region, hard);
            }
            engine.Write(batch);
            if (ready.MustSync)
            {
                engine.Sync();
            }
            foreach (var entry in ready.CommittedEntries)
            {
                if (!entry.Data.IsEmpty)
                {
                    applied.Add(Encoding.UTF8.GetString(entry.Data.Span));
                }
            }
            node.Advance(ready);
        }
        return applied;
    }

    [Fact]
    public void A_node_commits_on_the_engine_and_after_a_restart_finds_its_log_term_and_commit_again()
    {
        using var fx = new LogEngineFixture();
        // Bootstrap like a store: the region's log starts after index 5.
        var bootstrap = new LogWriteBatch();
        bootstrap.ApplySnapshot(Region, new SnapshotMetadata(5, 5, ConfState.OfVoters(1)));
        bootstrap.SetHardState(Region, new HardState(5, 0, 5));
        fx.Engine.Write(bootstrap);
        fx.Engine.Sync();

        var node = NewNode(fx.Engine, applied: 5);
        node.Campaign();
        Drive(node, fx.Engine);
        Assert.Equal(RaftRole.Leader, node.Role);
        var commands = Enumerable.Range(0, 50).Select(i => $"put k{i}").ToList();
        foreach (var command in commands)
        {
            Assert.True(node.Propose(Encoding.UTF8.GetBytes(command)).IsAccepted);
        }
        var applied = Drive(node, fx.Engine);
        Assert.Equal(commands, applied);
        var (term, commit, last) = (node.Term, node.CommitIndex, node.LastIndex);

        fx.Reopen();
        var restarted = NewNode(fx.Engine, applied: 5);
        Assert.Equal(term, restarted.Term);
        Assert.Equal(last, restarted.LastIndex);
        // Commit-only hard state changes are not synced, so the commit index may come back lower; the
        // entries are there, and leading again commits and applies exactly the same commands.
        Assert.InRange(restarted.CommitIndex, 6UL, commit);
        var reapplied = Drive(restarted, fx.Engine);
        restarted.Campaign();
        reapplied.AddRange(Drive(restarted, fx.Engine));
        Assert.Equal(commands, reapplied);
    }
}
