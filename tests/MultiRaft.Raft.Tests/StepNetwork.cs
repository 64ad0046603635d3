using System.Text;

namespace MultiRaft.Raft.Tests;

/// <summary>
/// Helpers that drive <see cref="RaftNode"/>s by hand: build storages holding a given log, persist a node's
/// Readies, build messages. For scenarios where a test must decide exactly which message arrives.
/// </summary>
internal static class Drive
{
    /// <summary>No pre-vote, no check-quorum, no lease: plain Raft as in the paper.</summary>
    public static RaftConfig Plain(RaftConfig config) => config with { PreVote = false, CheckQuorum = false, LeaseRead = false };

    public static RaftNode Node(ulong id, MemoryStorage storage, Func<RaftConfig, RaftConfig>? configure = null, int seed = 1)
    {
        var config = new RaftConfig { Id = id, Storage = storage, Random = new Random(seed * 31 + (int)id) };
        return new RaftNode(configure?.Invoke(config) ?? config);
    }

    /// <summary>Storage for a group of <paramref name="voters"/> whose log holds one entry per element of
    /// <paramref name="terms"/> (index i + 1 has term terms[i]); the hard state's term is the last term.</summary>
    public static MemoryStorage Storage(ulong[] voters, params ulong[] terms) => Storage(voters, terms, commit: 0);

    public static MemoryStorage Storage(ulong[] voters, ulong[] terms, ulong commit, ulong? term = null)
    {
        var storage = MemoryStorage.WithVoters(voters);
        storage.Append(Entries(1, terms));
        var last = terms.Length == 0 ? 0 : terms[^1];
        storage.SetHardState(new HardState(term ?? last, 0, commit));
        return storage;
    }

    /// <summary>Entries starting at <paramref name="firstIndex"/> with the given terms; data names the index and term.</summary>
    public static Entry[] Entries(ulong firstIndex, params ulong[] terms)
    {
        var entries = new Entry[terms.Length];
        for (var i = 0; i < terms.Length; i++)
        {
            var index = firstIndex + (ulong)i;
            entries[i] = new Entry(terms[i], index, Encoding.UTF8.GetBytes($"{index}@{terms[i]}"));
        }
        return entries;
    }

    /// <summary>Terms repeated: Run((1, 3), (2, 2)) is [1, 1, 1, 2, 2].</summary>
    public static ulong[] Run(params (ulong Term, int Count)[] runs) =>
        runs.SelectMany(r => Enumerable.Repeat(r.Term, r.Count)).ToArray();

    /// <summary>Persists and advances every Ready the node has; returns all messages, in order.</summary>
    public static List<Message> Flush(RaftNode node, MemoryStorage storage, List<Entry>? applied = null)
    {
        var sent = new List<Message>();
        while (node.HasReady)
        {
            sent.AddRange(Persist(node, storage, node.GetReady(), applied));
        }
        return sent;
    }

    /// <summary>Persists one Ready (as the host must before sending MessagesAfterPersist) and advances it.</summary>
    public static List<Message> Persist(RaftNode node, MemoryStorage storage, Ready ready, List<Entry>? applied = null)
    {
        storage.Persist(ready);
        foreach (var entry in ready.CommittedEntries)
        {
            applied?.Add(entry);
        }
        node.Advance(ready);
        return [.. ready.Messages, .. ready.MessagesAfterPersist];
    }

    /// <summary>Terms of the node's log from index 1 to its last index (0 where compacted).</summary>
    public static ulong[] Terms(RaftNode node)
    {
        var terms = new ulong[node.LastIndex];
        for (ulong i = 1; i <= node.LastIndex; i++)
        {
            terms[i - 1] = node.Log.TermOrZero(i);
        }
        return terms;
    }

    public static Message Vote(ulong from, ulong to, ulong term, bool granted = true) =>
        new() { Type = MessageType.RequestVoteResponse, From = from, To = to, Term = term, Reject = !granted };

    public static Message AppendAck(ulong from, ulong to, ulong term, ulong index) =>
        new() { Type = MessageType.AppendResponse, From = from, To = to, Term = term, Index = index };

    public static Message Append(ulong from, ulong to, ulong term, ulong prevIndex, ulong prevTerm, Entry[] entries, ulong commit = 0) =>
        new() { Type = MessageType.Append, From = from, To = to, Term = term, Index = prevIndex, LogTerm = prevTerm, Entries = entries, Commit = commit };

    /// <summary>Makes a fresh node (PreVote off) leader of its group by granting it every other voter's vote,
    /// and has every follower acknowledge its first (empty) entry unless <paramref name="ack"/> is false.
    /// Returns the messages it sent after becoming leader.</summary>
    public static List<Message> MakeLeader(RaftNode node, MemoryStorage storage, bool ack = true)
    {
        node.Campaign();
        Flush(node, storage);
        foreach (var voter in node.ConfState.Voters.Where(v => v != node.Id))
        {
            node.Step(Vote(voter, node.Id, node.Term));
        }
        Assert.Equal(RaftRole.Leader, node.Role);
        var sent = Flush(node, storage);
        if (ack)
        {
            foreach (var voter in node.ConfState.Voters.Where(v => v != node.Id))
            {
                node.Step(AppendAck(voter, node.Id, node.Term, node.LastIndex));
            }
            sent.AddRange(Flush(node, storage));
        }
        return sent;
    }
}

/// <summary>
/// A group of nodes wired by hand: like <see cref="TestCluster"/>, but a test decides per message (by any
/// predicate) what is lost, and nodes can crash (lose whatever was not persisted) and restart.
/// </summary>
internal sealed class StepNetwork
{
    private readonly Func<RaftConfig, RaftConfig>? _configure;

    public StepNetwork(int voters, Func<RaftConfig, RaftConfig>? configure = null)
    {
        _configure = configure;
        var ids = Enumerable.Range(1, voters).Select(i => (ulong)i).ToArray();
        foreach (var id in ids)
        {
            Storages[id] = MemoryStorage.WithVoters(ids);
            Applied[id] = [];
            Nodes[id] = Drive.Node(id, Storages[id], configure);
        }
    }

    public Dictionary<ulong, RaftNode> Nodes { get; } = [];

    public Dictionary<ulong, MemoryStorage> Storages { get; } = [];

    /// <summary>Every committed entry each node handed to its state machine, across restarts.</summary>
    public Dictionary<ulong, List<Entry>> Applied { get; } = [];

    /// <summary>Crashed nodes: they neither process Readies nor send or receive.</summary>
    public HashSet<ulong> Down { get; } = [];

    /// <summary>Messages for which this returns true are lost.</summary>
    public Func<Message, bool> Lose { get; set; } = _ => false;

    public List<Message> Delivered { get; } = [];

    /// <summary>Every Ready handed out, with the node that produced it.</summary>
    public List<(ulong Id, Ready Ready)> Readies { get; } = [];

    public RaftNode this[ulong id] => Nodes[id];

    /// <summary>Processes Readies and delivers messages until the group is quiet.</summary>
    public void Run()
    {
        for (var round = 0; round < 10_000; round++)
        {
            var outbox = new List<Message>();
            foreach (var (id, node) in Nodes)
            {
                if (Down.Contains(id) || !node.HasReady)
                {
                    continue;
                }
                var ready = node.GetReady();
                Readies.Add((id, ready));
                outbox.AddRange(Drive.Persist(node, Storages[id], ready, Applied[id]));
            }
            if (outbox.Count == 0)
            {
                return;
            }
            foreach (var m in outbox)
            {
                if (Down.Contains(m.From) || Down.Contains(m.To) || Lose(m))
                {
                    continue;
                }
                Delivered.Add(m);
                Nodes[m.To].Step(m);
            }
        }
        throw new InvalidOperationException("group did not quiesce");
    }

    public void Campaign(ulong id)
    {
        Nodes[id].Campaign();
        Run();
    }

    /// <summary>Ticks the node <paramref name="ticks"/> times, running the group after each tick.</summary>
    public void Tick(ulong id, int ticks = 1)
    {
        for (var i = 0; i < ticks; i++)
        {
            Nodes[id].Tick();
            Run();
        }
    }

    public void Crash(ulong id) => Down.Add(id);

    /// <summary>Restarts a crashed node from its storage; it has applied everything it applied before.</summary>
    public void Restart(ulong id)
    {
        var applied = Applied[id].Count == 0 ? 0 : Applied[id][^1].Index;
        Nodes[id] = Drive.Node(id, Storages[id], c => (_configure?.Invoke(c) ?? c) with { Applied = applied });
        Down.Remove(id);
    }

    public static string Text(Entry entry) => Encoding.UTF8.GetString(entry.Data.Span);

    public ProposeResult Propose(ulong id, string command) => Nodes[id].Propose(Encoding.UTF8.GetBytes(command));
}
