using MultiRaft.Raft;

namespace MultiRaft.Benchmarks;

/// <summary>
/// A Raft group whose nodes live in one process: messages are handed over directly and storage is
/// <see cref="MemoryStorage"/>, so a benchmark measures the consensus core and nothing else. Applied entries
/// are counted, logs are compacted as they are applied so memory stays flat.
/// </summary>
internal sealed class InMemoryGroup
{
    private readonly RaftNode[] _nodes;
    private readonly MemoryStorage[] _storages;
    private readonly List<Message> _inbox = [];
    private readonly List<Message> _delivering = [];

    public InMemoryGroup(int size)
    {
        var ids = new ulong[size];
        for (var i = 0; i < size; i++)
        {
            ids[i] = (ulong)i + 1;
        }
        _nodes = new RaftNode[size];
        _storages = new MemoryStorage[size];
        for (var i = 0; i < size; i++)
        {
            _storages[i] = MemoryStorage.WithVoters(ids);
            _nodes[i] = new RaftNode(new RaftConfig
            {
                Id = ids[i],
                Storage = _storages[i],
                Random = new Random(i),
                MaxSizePerMessage = 4 * 1024 * 1024,
                MaxInflightMessages = 256,
            });
        }
        _nodes[0].Campaign();
        RunUntilQuiet();
        if (_nodes[0].Role != RaftRole.Leader)
        {
            throw new InvalidOperationException("node 1 did not become leader");
        }
    }

    public RaftNode Leader => _nodes[0];

    /// <summary>Normal entries with data applied on the leader so far.</summary>
    public long AppliedOnLeader { get; private set; }

    /// <summary>Processes Readies and delivers messages until no node has work.</summary>
    public void RunUntilQuiet()
    {
        while (true)
        {
            var any = false;
            for (var i = 0; i < _nodes.Length; i++)
            {
                if (_nodes[i].HasReady)
                {
                    HandleReady(i);
                    any = true;
                }
            }
            if (_inbox.Count == 0 && !any)
            {
                return;
            }
            _delivering.Clear();
            _delivering.AddRange(_inbox);
            _inbox.Clear();
            foreach (var message in _delivering)
            {
                _nodes[(int)message.To - 1].Step(message);
                // Delivered exactly once, as over a real transport: the pooled entries can go back.
                message.ReleaseEntries();
            }
        }
    }

    private void HandleReady(int i)
    {
        var node = _nodes[i];
        var storage = _storages[i];
        var ready = node.GetReady();
        _inbox.AddRange(ready.Messages);
        storage.Append(ready.Entries);
        if (ready.HardState is { } hard)
        {
            storage.SetHardState(hard);
        }
        _inbox.AddRange(ready.MessagesAfterPersist);
        var committed = ready.CommittedEntries;
        if (i == 0)
        {
            foreach (var entry in committed)
            {
                if (!entry.Data.IsEmpty)
                {
                    AppliedOnLeader++;
                }
            }
        }
        node.Advance(ready);
        // Keep the log short: compact everything applied on every node (they all apply in lockstep here).
        if (committed.Length > 0)
        {
            var applied = committed[^1].Index;
            var minApplied = applied;
            foreach (var other in _nodes)
            {
                minApplied = Math.Min(minApplied, other.AppliedIndex);
            }
            if (minApplied > storage.FirstIndex + 1024)
            {
                storage.Compact(minApplied - 1);
            }
        }
    }
}
