namespace MultiRaft.Raft;

/// <summary>
/// An in-memory <see cref="IRaftStorage"/> for tests, the simulator and benchmarks. Entry 0 of the backing
/// list is a sentinel holding the snapshot's index and term, so offsets are index - snapshotIndex.
/// </summary>
public sealed class MemoryStorage : IRaftStorage
{
    private readonly List<Entry> _entries = [new Entry(0, 0, ReadOnlyMemory<byte>.Empty)];
    private HardState _hardState;
    private Snapshot _snapshot = Raft.Snapshot.Empty;

    public MemoryStorage()
    {
    }

    /// <summary>Creates storage for a brand-new group whose members are <paramref name="voters"/>.</summary>
    public static MemoryStorage WithVoters(params ulong[] voters)
    {
        var storage = new MemoryStorage();
        storage._snapshot = new Snapshot(new SnapshotMetadata(0, 0, ConfState.OfVoters(voters)), ReadOnlyMemory<byte>.Empty);
        return storage;
    }

    public HardState HardState => _hardState;

    public ConfState ConfState => _snapshot.Metadata.ConfState;

    public ulong FirstIndex => _entries[0].Index + 1;

    public ulong LastIndex => _entries[0].Index + (ulong)_entries.Count - 1;

    public RaftInitialState InitialState() => new(_hardState, _snapshot.Metadata.ConfState);

    public void SetHardState(HardState hardState) => _hardState = hardState;

    public LogRead Entries(ulong lo, ulong hi, long maxBytes, List<Entry> into)
    {
        var offset = _entries[0].Index;
        if (lo <= offset)
        {
            return LogRead.Compacted;
        }
        if (hi > LastIndex + 1)
        {
            return LogRead.Unavailable;
        }
        long bytes = 0;
        for (var i = lo; i < hi; i++)
        {
            var entry = _entries[(int)(i - offset)];
            bytes += entry.SizeBytes;
            if (bytes > maxBytes && i > lo)
            {
                break;
            }
            into.Add(entry);
        }
        return LogRead.Ok;
    }

    public LogRead Term(ulong index, out ulong term)
    {
        var offset = _entries[0].Index;
        term = 0;
        if (index < offset)
        {
            return LogRead.Compacted;
        }
        if (index - offset >= (ulong)_entries.Count)
        {
            return LogRead.Unavailable;
        }
        term = _entries[(int)(index - offset)].Term;
        return LogRead.Ok;
    }

    public Snapshot? Snapshot() => _snapshot;

    /// <summary>Appends entries, overwriting any conflicting suffix; entries below the first index are ignored.</summary>
    public void Append(ReadOnlySpan<Entry> entries)
    {
        if (entries.IsEmpty)
        {
            return;
        }
        var first = FirstIndex;
        var last = entries[^1].Index;
        if (last < first)
        {
            return;
        }
        if (entries[0].Index < first)
        {
            entries = entries[(int)(first - entries[0].Index)..];
        }
        var offset = entries[0].Index - _entries[0].Index;
        if ((ulong)_entries.Count > offset)
        {
            _entries.RemoveRange((int)offset, _entries.Count - (int)offset);
        }
        else if ((ulong)_entries.Count < offset)
        {
            throw new InvalidOperationException($"missing log entry: last index {LastIndex}, appending at {entries[0].Index}");
        }
        foreach (var entry in entries)
        {
            _entries.Add(entry);
        }
    }

    /// <summary>Replaces the whole log with <paramref name="snapshot"/> (a follower installing one).</summary>
    public void ApplySnapshot(Snapshot snapshot)
    {
        if (snapshot.Metadata.Index <= _snapshot.Metadata.Index)
        {
            throw new InvalidOperationException($"snapshot {snapshot.Metadata.Index} is out of date (have {_snapshot.Metadata.Index})");
        }
        _snapshot = snapshot;
        _entries.Clear();
        _entries.Add(new Entry(snapshot.Metadata.Term, snapshot.Metadata.Index, ReadOnlyMemory<byte>.Empty));
    }

    /// <summary>Records a snapshot of the state machine as of <paramref name="index"/> (already applied).</summary>
    public Snapshot CreateSnapshot(ulong index, ConfState confState, ReadOnlyMemory<byte> data)
    {
        if (index <= _snapshot.Metadata.Index)
        {
            throw new InvalidOperationException($"snapshot {index} is out of date (have {_snapshot.Metadata.Index})");
        }
        if (index > LastIndex)
        {
            throw new InvalidOperationException($"snapshot {index} is beyond the last index {LastIndex}");
        }
        Term(index, out var term);
        _snapshot = new Snapshot(new SnapshotMetadata(index, term, confState), data);
        return _snapshot;
    }

    /// <summary>Discards entries up to and including <paramref name="compactIndex"/>.</summary>
    public void Compact(ulong compactIndex)
    {
        var offset = _entries[0].Index;
        if (compactIndex <= offset)
        {
            return;
        }
        if (compactIndex > LastIndex)
        {
            throw new InvalidOperationException($"compact {compactIndex} is beyond the last index {LastIndex}");
        }
        var count = (int)(compactIndex - offset);
        var sentinel = _entries[count];
        _entries.RemoveRange(0, count);
        _entries[0] = new Entry(sentinel.Term, sentinel.Index, ReadOnlyMemory<byte>.Empty);
    }
}
