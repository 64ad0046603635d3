namespace MultiRaft.Raft;

/// <summary>
/// Entries (and possibly an incoming snapshot) that the node holds but the host has not yet persisted.
/// <see cref="Offset"/> is the index of the first unstable entry; everything below it is in storage.
/// A host that writes asynchronously has the entries below <see cref="OffsetInProgress"/> in flight: handed
/// out in a Ready, not yet reported durable. They stay here, readable, until it reports them.
/// </summary>
internal sealed class UnstableLog
{
    private readonly List<Entry> _entries = [];

    public UnstableLog(ulong offset)
    {
        Offset = offset;
        OffsetInProgress = offset;
    }

    public ulong Offset { get; private set; }

    /// <summary>The first entry not yet handed to the host to persist; Offset ≤ OffsetInProgress ≤ last + 1.</summary>
    public ulong OffsetInProgress { get; private set; }

    /// <summary>Whether some entries have not been handed to the host yet.</summary>
    public bool HasEntriesToPersist => OffsetInProgress < Offset + (ulong)_entries.Count;

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

    /// <summary>Copies the entries not yet handed out into <paramref name="into"/> (cleared first).</summary>
    public void CopyEntriesToPersist(List<Entry> into)
    {
        into.Clear();
        for (var i = (int)(OffsetInProgress - Offset); i < _entries.Count; i++)
        {
            into.Add(_entries[i]);
        }
    }

    /// <summary>The host has taken the entries up to <paramref name="index"/> to persist.</summary>
    public void AcceptInProgress(ulong index) => OffsetInProgress = Math.Max(OffsetInProgress, index + 1);

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
        OffsetInProgress = Math.Max(OffsetInProgress, Offset);
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
        OffsetInProgress = Offset;
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
            OffsetInProgress = after;
            _entries.Clear();
        }
        else
        {
            // Keep unstable entries in [Offset, after), drop the rest. Replaced entries still in flight will be
            // reported with their old term, which no longer matches, and the new ones must be handed out.
            _entries.RemoveRange((int)(after - Offset), _entries.Count - (int)(after - Offset));
            OffsetInProgress = Math.Min(OffsetInProgress, after);
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
