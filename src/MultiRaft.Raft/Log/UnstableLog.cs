namespace MultiRaft.Raft;

/// <summary>
/// Entries (and possibly an incoming snapshot) that the node holds but the host has not yet persisted.
/// <see cref="Offset"/> is the index of the first unstable entry; everything below it is in storage.
/// </summary>
internal sealed class UnstableLog
{
    private readonly List<Entry> _entries = [];

    public UnstableLog(ulong offset) => Offset = offset;

    public ulong Offset { get; private set; }

    public Snapshot? Snapshot { get; private set; }

    public int Count => _entries.Count;

    public bool IsEmpty => _entries.Count == 0;

    public Entry this[ulong index] => _entries[(int)(index - Offset)];

    public ulong? MaybeFirstIndex() => Snapshot is null ? null : Snapshot.Metadata.Index + 1;

    public ulong? MaybeLastIndex()
    {
        if (_entries.Count > 0)
        {
            return Offset + (ulong)_entries.Count - 1;
        }
        return Snapshot?.Metadata.Index;
    }

    public bool TryTerm(ulong index, out ulong term)
    {
        term = 0;
        if (index < Offset)
        {
            if (Snapshot is not null && Snapshot.Metadata.Index == index)
            {
                term = Snapshot.Metadata.Term;
                return true;
            }
            return false;
        }
        var last = MaybeLastIndex();
        if (last is null || index > last.Value)
        {
            return false;
        }
        term = _entries[(int)(index - Offset)].Term;
        return true;
    }

    /// <summary>Copies the unstable entries into <paramref name="into"/> (cleared first).</summary>
    public void CopyTo(List<Entry> into)
    {
        into.Clear();
        into.AddRange(_entries);
    }

    /// <summary>The host persisted entries up to (index, term); drop them unless they were since replaced.</summary>
    public void StableTo(ulong index, ulong term)
    {
        if (!TryTerm(index, out var have) || have != term || index < Offset)
        {
            return;
        }
        var count = (int)(index + 1 - Offset);
        _entries.RemoveRange(0, count);
        Offset = index + 1;
    }

    public void StableSnapTo(ulong index)
    {
        if (Snapshot is not null && Snapshot.Metadata.Index == index)
        {
            Snapshot = null;
        }
    }

    public void Restore(Snapshot snapshot)
    {
        Offset = snapshot.Metadata.Index + 1;
        _entries.Clear();
        Snapshot = snapshot;
    }

    /// <summary>Appends entries that follow on from index <c>entries[0].Index - 1</c>, dropping whatever
    /// suffix (unstable, or stable above the new offset) they replace.</summary>
    public void TruncateAndAppend(ReadOnlySpan<Entry> entries)
    {
        var after = entries[0].Index;
        if (after == Offset + (ulong)_entries.Count)
        {
            // Directly after the unstable entries: the common case.
        }
        else if (after <= Offset)
        {
            // Replaces everything unstable and part of the stable log: the stable prefix below `after`
            // stays where it is and the host will overwrite the rest.
            Offset = after;
            _entries.Clear();
        }
        else
        {
            // Keep unstable entries in [Offset, after), drop the rest.
            _entries.RemoveRange((int)(after - Offset), _entries.Count - (int)(after - Offset));
        }
        foreach (var entry in entries)
        {
            _entries.Add(entry);
        }
    }

    public void Slice(ulong lo, ulong hi, List<Entry> into)
    {
        for (var i = lo; i < hi; i++)
        {
            into.Add(_entries[(int)(i - Offset)]);
        }
    }
}
