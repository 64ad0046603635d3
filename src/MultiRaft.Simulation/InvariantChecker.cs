using MultiRaft.Raft;

namespace MultiRaft.Simulation;

/// <summary>
/// Raft's safety properties, checked against every node after every step:
/// election safety (one leader per term), log matching (same index and term ⇒ same prefix), leader
/// completeness as seen from outside (a committed entry never changes or disappears), state machine safety
/// (every node applies the same entry at each index, in order, once), and linearizable reads (a read sees
/// every write acknowledged before it began).
/// </summary>
internal sealed class InvariantChecker
{
    private readonly Dictionary<ulong, ulong> _leaderOfTerm = [];
    private readonly Dictionary<(ulong Index, ulong Term), ulong> _prefixDigest = [];
    private readonly Dictionary<ulong, ulong> _committedDigest = [];
    private readonly Dictionary<ulong, ulong> _appliedDigest = [];
    private readonly Dictionary<ulong, ulong> _writeAt = [];

    /// <summary>Acknowledged writes: write id → index. A client heard "ok" for each.</summary>
    public Dictionary<ulong, ulong> Acknowledged { get; } = [];

    public ulong MaxAcknowledgedIndex { get; private set; }

    public int ReadsServed { get; private set; }

    public void CheckLeaders(IEnumerable<SimNode> nodes)
    {
        foreach (var node in nodes)
        {
            if (!node.Alive || node.Node.Role != RaftRole.Leader)
            {
                continue;
            }
            var term = node.Node.Term;
            if (_leaderOfTerm.TryGetValue(term, out var other) && other != node.Id)
            {
                throw new SimulationViolationException($"election safety: nodes {other} and {node.Id} both lead term {term}");
            }
            _leaderOfTerm[term] = node.Id;
        }
    }

    /// <summary>Log matching: two logs holding an entry with the same index and term agree on everything up to it.</summary>
    public void CheckPersisted(SimNode node, ReadOnlySpan<Entry> entries)
    {
        foreach (var entry in entries)
        {
            if (entry.Index <= node.Storage.FirstIndex - 1)
            {
                continue;
            }
            var digest = node.ChainAt(entry.Index);
            if (_prefixDigest.TryGetValue((entry.Index, entry.Term), out var seen))
            {
                if (seen != digest)
                {
                    throw new SimulationViolationException($"log matching: node {node.Id} holds entry ({entry.Index},{entry.Term}) with a prefix that differs from another node's");
                }
            }
            else
            {
                _prefixDigest[(entry.Index, entry.Term)] = digest;
            }
            if (entry.Index <= node.CheckedCommit && _committedDigest.TryGetValue(entry.Index, out var committed) && committed != digest)
            {
                throw new SimulationViolationException($"committed entry {entry.Index} on node {node.Id} was overwritten");
            }
        }
    }

    /// <summary>A committed entry never changes: record the prefix digest at each newly committed index, or
    /// compare it with the one recorded when another node committed it.</summary>
    public void CheckCommitted(SimNode node)
    {
        // A node that writes later may still hold, below its commit index, stale entries a pending write replaces.
        var upTo = Math.Min(Math.Min(node.Node.CommitIndex, node.Storage.LastIndex), node.FirstPendingIndex - 1);
        var from = Math.Max(node.CheckedCommit + 1, node.Storage.FirstIndex);
        for (var index = from; index <= upTo; index++)
        {
            var digest = node.ChainAt(index);
            if (_committedDigest.TryGetValue(index, out var seen))
            {
                if (seen != digest)
                {
                    throw new SimulationViolationException($"committed entry {index} differs between nodes (seen on node {node.Id})");
                }
            }
            else
            {
                _committedDigest[index] = digest;
            }
        }
        if (upTo > node.CheckedCommit)
        {
            node.CheckedCommit = upTo;
        }
    }

    /// <summary>State machine safety: entries are applied in index order, once, and are the same everywhere.</summary>
    public void CheckApply(SimNode node, in Entry entry)
    {
        if (entry.Index != node.StateMachine.AppliedIndex + 1)
        {
            throw new SimulationViolationException($"node {node.Id} applied index {entry.Index} after {node.StateMachine.AppliedIndex}");
        }
        var digest = Digest.Of(entry);
        if (_appliedDigest.TryGetValue(entry.Index, out var seen))
        {
            if (seen != digest)
            {
                throw new SimulationViolationException($"state machine safety: node {node.Id} applied a different entry at index {entry.Index}");
            }
        }
        else
        {
            _appliedDigest[entry.Index] = digest;
        }
    }

    /// <summary>A snapshot's state must equal what the nodes that applied those indexes applied.</summary>
    public void CheckSnapshotState(SimNode node)
    {
        foreach (var (index, writeId) in node.StateMachine.Writes)
        {
            if (_writeAt.TryGetValue(index, out var seen) && seen != writeId)
            {
                throw new SimulationViolationException($"node {node.Id} restored a snapshot with write {writeId} at index {index}, others applied {seen}");
            }
        }
    }

    public void RecordWrite(ulong index, ulong writeId) => _writeAt.TryAdd(index, writeId);

    public void Acknowledge(ulong writeId, ulong index)
    {
        Acknowledged[writeId] = index;
        MaxAcknowledgedIndex = Math.Max(MaxAcknowledgedIndex, index);
    }

    /// <summary>Linearizable read: the confirmed read index covers every write acknowledged before the read
    /// began (the read is then served from state at or past that index).</summary>
    public void CheckRead(SimNode node, ReadState read, ulong mustSee)
    {
        ReadsServed++;
        if (read.Index < mustSee)
        {
            throw new SimulationViolationException($"stale read on node {node.Id}: read index {read.Index}, but a write at {mustSee} was acknowledged before the read began");
        }
    }
}
