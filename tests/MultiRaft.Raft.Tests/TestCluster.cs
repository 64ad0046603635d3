namespace MultiRaft.Raft.Tests;

/// <summary>
/// A synchronous in-memory group for unit tests: every node has a <see cref="MemoryStorage"/> and a list as
/// its state machine; <see cref="Deliver"/> runs Ready loops and passes messages until the group is quiet.
/// Messages can be dropped per link or per type, so tests can stage exact scenarios from the paper.
/// </summary>
internal sealed class TestCluster
{
    private readonly Dictionary<ulong, TestPeer> _peers = [];
    private readonly HashSet<(ulong From, ulong To)> _cut = [];
    private readonly HashSet<MessageType> _droppedTypes = [];

    public TestCluster(int voters, Func<RaftConfig, RaftConfig>? configure = null, int seed = 1)
    {
        var ids = Enumerable.Range(1, voters).Select(i => (ulong)i).ToArray();
        foreach (var id in ids)
        {
            Add(id, MemoryStorage.WithVoters(ids), configure, seed);
        }
    }

    public IReadOnlyDictionary<ulong, TestPeer> Peers => _peers;

    public TestPeer this[ulong id] => _peers[id];

    /// <summary>Every message that was delivered, in order, for assertions about what was sent.</summary>
    public List<Message> Delivered { get; } = [];

    public TestPeer Add(ulong id, MemoryStorage storage, Func<RaftConfig, RaftConfig>? configure = null, int seed = 1)
    {
        var config = new RaftConfig { Id = id, Storage = storage, Random = new Random(seed * 31 + (int)id) };
        config = configure?.Invoke(config) ?? config;
        var peer = new TestPeer(new RaftNode(config), storage);
        _peers[id] = peer;
        return peer;
    }

    /// <summary>Restarts a node from its persisted storage only (unpersisted state is lost, as on a crash).</summary>
    public TestPeer Restart(ulong id, Func<RaftConfig, RaftConfig>? configure = null)
    {
        var old = _peers[id];
        var config = new RaftConfig { Id = id, Storage = old.Storage, Random = new Random((int)id), Applied = old.Storage.Snapshot()!.Metadata.Index };
        config = configure?.Invoke(config) ?? config;
        var peer = new TestPeer(new RaftNode(config), old.Storage);
        _peers[id] = peer;
        return peer;
    }

    public void Isolate(ulong id)
    {
        foreach (var other in _peers.Keys)
        {
            if (other != id)
            {
                Cut(id, other);
                Cut(other, id);
            }
        }
    }

    public void Cut(ulong from, ulong to) => _cut.Add((from, to));

    public void Heal()
    {
        _cut.Clear();
        _droppedTypes.Clear();
    }

    public void Drop(MessageType type) => _droppedTypes.Add(type);

    public void Allow(MessageType type) => _droppedTypes.Remove(type);

    /// <summary>Messages matching this filter (after cuts and drops) are not delivered but kept in
    /// <see cref="Held"/>, so a test can deliver them later, out of order, with <see cref="Release"/>.</summary>
    public Func<Message, bool>? Hold { get; set; }

    public List<Message> Held { get; } = [];

    /// <summary>Delivers a held message now (ignoring cuts and drops) and runs the group until quiet.</summary>
    public void Release(Message message)
    {
        Held.Remove(message);
        Delivered.Add(message);
        _peers[message.To].Node.Step(message);
        Deliver();
    }

    /// <summary>Makes <paramref name="id"/> campaign and runs the group until quiet.</summary>
    public void Elect(ulong id)
    {
        _peers[id].Node.Campaign();
        Deliver();
    }

    public ulong Leader => _peers.Values.Where(p => p.Node.Role == RaftRole.Leader).Select(p => p.Node.Id).SingleOrDefault();

    public void TickAll(int ticks = 1)
    {
        for (var i = 0; i < ticks; i++)
        {
            foreach (var peer in _peers.Values)
            {
                peer.Node.Tick();
            }
            Deliver();
        }
    }

    /// <summary>Processes Readies and delivers messages until no node has anything left to do.</summary>
    public void Deliver(int maxRounds = 10_000)
    {
        for (var round = 0; round < maxRounds; round++)
        {
            var outbox = new List<Message>();
            foreach (var peer in _peers.Values)
            {
                if (peer.Node.HasReady)
                {
                    outbox.AddRange(peer.HandleReady());
                }
                outbox.AddRange(peer.TakeDurableMessages());
            }
            // A Ready can produce work for the next one without sending anything (a single-voter leader commits
            // in Advance), so the group is quiet only when no node has a Ready left either.
            if (outbox.Count == 0 && !_peers.Values.Any(p => p.Node.HasReady))
            {
                return;
            }
            foreach (var message in outbox)
            {
                if (_cut.Contains((message.From, message.To)) || _droppedTypes.Contains(message.Type) || !_peers.TryGetValue(message.To, out var target))
                {
                    continue;
                }
                if (Hold?.Invoke(message) == true)
                {
                    Held.Add(message);
                    continue;
                }
                Delivered.Add(message);
                target.Node.Step(message);
            }
        }
        throw new InvalidOperationException("group did not quiesce");
    }
}

/// <summary>One node with its storage and applied state.</summary>
internal sealed class TestPeer(RaftNode node, MemoryStorage storage)
{
    public RaftNode Node { get; } = node;

    public MemoryStorage Storage { get; } = storage;

    /// <summary>Applied normal entries with data, in order.</summary>
    public List<Entry> Applied { get; } = [];

    public List<ReadState> ReadStates { get; } = [];

    /// <summary>The configuration after each conf change this peer applied, in order.</summary>
    public List<ConfState> ConfStates { get; } = [];

    /// <summary>When set, the peer applies like a host with apply workers: committed entries wait in
    /// <see cref="Handed"/> until <see cref="ApplyHanded"/>.</summary>
    public bool AppliesLater { get; set; }

    /// <summary>Committed entries handed out and not yet applied (see <see cref="AppliesLater"/>).</summary>
    public List<Entry> Handed { get; } = [];

    /// <summary>When set (the node needs <see cref="RaftConfig.AsyncLogWrites"/>), the peer writes like a host
    /// with a log writer thread: each Ready's write waits in <see cref="Writes"/> until <see cref="FlushWrites"/>.</summary>
    public bool WritesLater { get; set; }

    /// <summary>Writes taken from Readys and not yet durable, oldest first (see <see cref="WritesLater"/>).</summary>
    public List<(Entry[] Entries, HardState? HardState, List<Message> AfterPersist)> Writes { get; } = [];

    private readonly List<Message> _durableMessages = [];

    /// <summary>Persists, applies and advances one Ready; returns the messages to deliver now (all of them when
    /// persistence is immediate).</summary>
    public List<Message> HandleReady()
    {
        var ready = Node.GetReady();
        ReadStates.AddRange(ready.ReadStates);
        if (WritesLater && ready.Snapshot is null)
        {
            Writes.Add((ready.Entries.ToArray(), ready.HardState, ready.MessagesAfterPersist));
            Handed.AddRange(ready.CommittedEntries);
            Node.AdvanceWritingLater(ready);
            if (!AppliesLater)
            {
                ApplyHanded();
            }
            return ready.Messages;
        }
        FlushWrites(); // A snapshot replaces what the earlier writes wrote: they go first.
        Storage.Persist(ready);
        if (AppliesLater)
        {
            Handed.AddRange(ready.CommittedEntries);
            Node.AdvanceApplyingLater(ready);
        }
        else
        {
            Apply(ready.CommittedEntries);
            Node.Advance(ready);
        }
        return [.. ready.Messages, .. ready.MessagesAfterPersist];
    }

    /// <summary>Makes the oldest <paramref name="count"/> pending writes (all by default) durable in order,
    /// reports each to the node, and queues their messages for the next delivery.</summary>
    public void FlushWrites(int count = int.MaxValue)
    {
        for (; count > 0 && Writes.Count > 0; count--)
        {
            var (entries, hardState, afterPersist) = Writes[0];
            Writes.RemoveAt(0);
            Storage.Append(entries);
            if (hardState is { } hard)
            {
                Storage.SetHardState(hard);
            }
            _durableMessages.AddRange(afterPersist);
            if (entries.Length > 0)
            {
                Node.PersistedTo(entries[^1].Index, entries[^1].Term);
            }
        }
    }

    /// <summary>Messages whose write has become durable since the last call.</summary>
    public List<Message> TakeDurableMessages()
    {
        var messages = new List<Message>(_durableMessages);
        _durableMessages.Clear();
        return messages;
    }

    /// <summary>Applies every handed-out entry and reports it to the node.</summary>
    public void ApplyHanded()
    {
        if (Handed.Count == 0)
        {
            return;
        }
        Apply(Handed);
        Node.AppliedTo(Handed[^1].Index);
        Handed.Clear();
    }

    private void Apply(IEnumerable<Entry> entries)
    {
        foreach (var entry in entries)
        {
            if (entry.Type == EntryType.ConfChange)
            {
                ConfStates.Add(Node.ApplyConfChange(ConfChange.Decode(entry.Data.Span)));
            }
            else if (!entry.Data.IsEmpty)
            {
                Applied.Add(entry);
            }
        }
    }

    public ProposeResult Propose(string command) => Node.Propose(System.Text.Encoding.UTF8.GetBytes(command));

    public IEnumerable<string> AppliedCommands => Applied.Select(e => System.Text.Encoding.UTF8.GetString(e.Data.Span));
}
