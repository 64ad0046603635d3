namespace MultiRaft.Raft;

/// <summary>
/// A node's view of its log: the stable part in <see cref="IRaftStorage"/> followed by the unstable part,
/// plus the commit and apply cursors. Invariant: applied ≤ applying ≤ committed ≤ last index.
/// </summary>
internal sealed class RaftLog
{
    private readonly IRaftStorage _storage;
    private readonly UnstableLog _unstable;
    private readonly List<Entry> _scratch = [];
    private readonly bool _applyOnlyPersisted;

    /// <param name="applyOnlyPersisted">Whether committed entries are handed out only once this node has
    /// them durably: set for a host that writes asynchronously, whose apply may otherwise outrun its log
    /// (a crash would then leave applied entries the log does not have).</param>
    public RaftLog(IRaftStorage storage, bool applyOnlyPersisted = false)
    {
        _storage = storage;
        _applyOnlyPersisted = applyOnlyPersisted;
        var first = storage.FirstIndex;
        _unstable = new UnstableLog(storage.LastIndex + 1);
        Committed = first - 1;
        Applied = first - 1;
        Applying = first - 1;
    }

    public ulong Committed { get; private set; }

    public ulong Applied { get; private set; }

    /// <summary>The last index handed to the host to apply. Ahead of <see cref="Applied"/> only while a host
    /// that applies asynchronously has entries in flight.</summary>
    public ulong Applying { get; private set; }

    public IRaftStorage Storage => _storage;

    public UnstableLog Unstable => _unstable;

    public ulong FirstIndex => _unstable.MaybeFirstIndex() ?? _storage.FirstIndex;

    public ulong LastIndex => _unstable.MaybeLastIndex() ?? _storage.LastIndex;

    public ulong LastTerm => TermOrZero(LastIndex);

    /// <summary>The last index the host has made durable (entries handed out in a Ready and acknowledged by Advance).</summary>
    public ulong StableLastIndex => _unstable.Snapshot is not null ? 0 : Math.Min(_storage.LastIndex, _unstable.Offset - 1);

    public LogRead Term(ulong index, out ulong term)
    {
        // The valid range is [FirstIndex - 1, LastIndex]: the entry before the first is the snapshot's.
        var dummy = FirstIndex - 1;
        if (index < dummy)
        {
            term = 0;
            return LogRead.Compacted;
        }
        if (index > LastIndex)
        {
            term = 0;
            return LogRead.Unavailable;
        }
        if (_unstable.TryTerm(index, out term))
        {
            return LogRead.Ok;
        }
        return _storage.Term(index, out term);
    }

    /// <summary>Term at <paramref name="index"/>, or 0 when it is compacted or beyond the log.</summary>
    public ulong TermOrZero(ulong index) => Term(index, out var term) == LogRead.Ok ? term : 0;

    public bool MatchTerm(ulong index, ulong term) => Term(index, out var have) == LogRead.Ok && have == term;

    /// <summary>Raft §5.4.1: a candidate's log is at least as up-to-date as ours.</summary>
    public bool IsUpToDate(ulong lastIndex, ulong lastTerm) =>
        lastTerm > LastTerm || (lastTerm == LastTerm && lastIndex >= LastIndex);

    /// <summary>Follower side of AppendEntries: if the entry at <paramref name="prevIndex"/> has
    /// <paramref name="prevTerm"/>, append <paramref name="entries"/> (dropping any conflicting suffix) and
    /// advance the commit index to at most the last new entry. Returns the last new index, or null when the
    /// consistency check fails.</summary>
    public ulong? MaybeAppend(ulong prevIndex, ulong prevTerm, ulong leaderCommit, ReadOnlySpan<Entry> entries)
    {
        if (!MatchTerm(prevIndex, prevTerm))
        {
            return null;
        }
        var lastNew = prevIndex + (ulong)entries.Length;
        var conflict = FindConflict(entries);
        if (conflict != 0)
        {
            if (conflict <= Committed)
            {
                throw new InvalidOperationException($"entry {conflict} conflicts with committed entry (committed {Committed})");
            }
            Append(entries[(int)(conflict - (prevIndex + 1))..]);
        }
        CommitTo(Math.Min(leaderCommit, lastNew));
        return lastNew;
    }

    /// <summary>Appends entries after the current log (the leader's own proposals, or a follower's after the
    /// conflict check). Returns the new last index.</summary>
    public ulong Append(ReadOnlySpan<Entry> entries)
    {
        if (entries.IsEmpty)
        {
            return LastIndex;
        }
        if (entries[0].Index - 1 < Committed)
        {
            throw new InvalidOperationException($"appending after {entries[0].Index - 1} would overwrite committed entries (committed {Committed})");
        }
        _unstable.TruncateAndAppend(entries);
        return LastIndex;
    }

    /// <summary>The index of the first entry that is new or whose term differs from ours; 0 when all match.</summary>
    private ulong FindConflict(ReadOnlySpan<Entry> entries)
    {
        foreach (var entry in entries)
        {
            if (!MatchTerm(entry.Index, entry.Term))
            {
                return entry.Index;
            }
        }
        return 0;
    }

    /// <summary>Fast backtracking: the largest index ≤ <paramref name="index"/> whose term is ≤
    /// <paramref name="term"/>, with that term. Every entry between it and <paramref name="index"/> has a
    /// bigger term, so it cannot match the other log's entry at <paramref name="index"/> either; the leader
    /// skips a whole term of mismatches per round trip instead of one entry.</summary>
    public (ulong Index, ulong Term) FindConflictByTerm(ulong index, ulong term)
    {
        for (; index > 0; index--)
        {
            var read = Term(index, out var have);
            if (read != LogRead.Ok)
            {
                // Compacted (or beyond us): this is as far back as we can tell.
                return (index, 0);
            }
            if (have <= term)
            {
                return (index, have);
            }
        }
        return (0, 0);
    }

    public void CommitTo(ulong index)
    {
        if (index <= Committed)
        {
            return;
        }
        if (index > LastIndex)
        {
            throw new InvalidOperationException($"commit {index} is beyond the last index {LastIndex}; the log is corrupt, truncated or lost");
        }
        Committed = index;
    }

    /// <summary>Leader side: commit <paramref name="index"/> if it carries the leader's term (Raft §5.4.2:
    /// entries from earlier terms are committed only indirectly, by committing one from the current term).</summary>
    public bool MaybeCommit(ulong index, ulong term)
    {
        if (index > Committed && TermOrZero(index) == term)
        {
            CommitTo(index);
            return true;
        }
        return false;
    }

    public void AppliedTo(ulong index)
    {
        if (index == 0)
        {
            return;
        }
        if (index > Committed || index < Applied)
        {
            throw new InvalidOperationException($"applied {index} is out of range [{Applied}, {Committed}]");
        }
        Applied = index;
        Applying = Math.Max(Applying, index);
    }

    public void ApplyingTo(ulong index)
    {
        if (index > Committed || index < Applying)
        {
            throw new InvalidOperationException($"applying {index} is out of range [{Applying}, {Committed}]");
        }
        Applying = index;
    }

    public void StableTo(ulong index, ulong term) => _unstable.StableTo(index, term);

    public void StableSnapTo(ulong index) => _unstable.StableSnapTo(index);

    public bool HasPendingSnapshot => _unstable.Snapshot is not null;

    public Snapshot? PendingSnapshot => _unstable.Snapshot;

    public Snapshot? Snapshot() => _unstable.Snapshot ?? _storage.Snapshot();

    public void Restore(Snapshot snapshot)
    {
        Committed = snapshot.Metadata.Index;
        _unstable.Restore(snapshot);
    }

    /// <summary>The last committed entry that may be handed out to apply.</summary>
    public ulong MaxAppliableIndex => _applyOnlyPersisted ? Math.Min(Committed, _unstable.Offset - 1) : Committed;

    public bool HasNextCommittedEntries(ulong from) => MaxAppliableIndex >= Math.Max(from, FirstIndex) && !HasPendingSnapshot;

    /// <summary>Reads entries in [lo, hi) into <paramref name="into"/>, at most <paramref name="maxBytes"/>
    /// (but at least one). Returns Compacted if lo is below the first index.</summary>
    public LogRead Slice(ulong lo, ulong hi, long maxBytes, List<Entry> into)
    {
        if (lo < FirstIndex)
        {
            return LogRead.Compacted;
        }
        if (hi > LastIndex + 1)
        {
            return LogRead.Unavailable;
        }
        if (lo >= hi)
        {
            return LogRead.Ok;
        }
        var start = into.Count;
        var unstableFrom = _unstable.Offset;
        if (lo < unstableFrom)
        {
            var read = _storage.Entries(lo, Math.Min(hi, unstableFrom), maxBytes, into);
            if (read != LogRead.Ok)
            {
                return read;
            }
            var got = (ulong)(into.Count - start);
            if (got < Math.Min(hi, unstableFrom) - lo)
            {
                return LogRead.Ok; // size limit reached inside the stable part
            }
        }
        if (hi > unstableFrom)
        {
            _unstable.Slice(Math.Max(lo, unstableFrom), hi, into);
        }
        LimitSize(into, start, maxBytes);
        return LogRead.Ok;
    }

    private static void LimitSize(List<Entry> into, int start, long maxBytes)
    {
        long bytes = 0;
        for (var i = start; i < into.Count; i++)
        {
            bytes += into[i].SizeBytes;
            if (bytes > maxBytes && i > start)
            {
                into.RemoveRange(i, into.Count - i);
                return;
            }
        }
    }

    /// <summary>Entries from <paramref name="lo"/> to the end of the log, limited by size; uses a shared
    /// scratch list, so the caller copies what it keeps before the next call.</summary>
    public LogRead EntriesFrom(ulong lo, long maxBytes, out List<Entry> entries)
    {
        _scratch.Clear();
        entries = _scratch;
        if (lo > LastIndex)
        {
            return LogRead.Ok;
        }
        return Slice(lo, LastIndex + 1, maxBytes, _scratch);
    }

    public override string ToString() =>
        $"committed={Committed} applying={Applying} applied={Applied} unstable.offset={_unstable.Offset} unstable.len={_unstable.Count} last={LastIndex}";
}
