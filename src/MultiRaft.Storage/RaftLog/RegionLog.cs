using MultiRaft.Raft;

namespace MultiRaft.Storage.RaftLog;

/// <summary>Where an entry lives in the shared log: its record's address, its offset inside the record, its
/// size there, and its term (kept here so that term lookups never touch the disk).</summary>
internal readonly record struct EntryLocation(long Address, int Offset, int Size, ulong Term, EntryType Type);

/// <summary>
/// The in-memory index of one region's log inside the shared log: the compaction point (first index - 1 and
/// its term), a location per live entry, the hard state, the last snapshot's metadata, and a cache of the
/// most recent entries. It is rebuilt on restart by replaying the records in address order; live writes go
/// through the same methods, so both paths agree by construction.
/// </summary>
internal sealed class RegionLog
{
    private readonly List<EntryLocation> _locations = [];
    private readonly List<Entry> _cache = [];
    private long _cacheBytes;

    public RegionLog(ulong id) => Id = id;

    public ulong Id { get; }

    /// <summary>Index before the first live entry (the compaction or snapshot point), and its term.</summary>
    public ulong Offset { get; private set; }

    public ulong OffsetTerm { get; private set; }

    public HardState HardState { get; private set; }

    public SnapshotMetadata Snapshot { get; private set; } = SnapshotMetadata.Empty;

    public ulong FirstIndex => Offset + 1;

    public ulong LastIndex => Offset + (ulong)_locations.Count;

    public long LiveBytes { get; private set; }

    /// <summary>Addresses of the records that still define this region's state (for purge decisions).</summary>
    public long HardStateAddress { get; private set; } = -1;

    public long BaseAddress { get; private set; } = -1;

    /// <summary>The lowest address of a record this region still needs (long.MaxValue if none).</summary>
    public long OldestLiveAddress
    {
        get
        {
            var oldest = long.MaxValue;
            if (HardStateAddress >= 0)
            {
                oldest = HardStateAddress;
            }
            if (BaseAddress >= 0)
            {
                oldest = Math.Min(oldest, BaseAddress);
            }
            return _locations.Count > 0 ? Math.Min(oldest, _locations[0].Address) : oldest;
        }
    }

    public int EntryCount => _locations.Count;

    public EntryLocation Location(ulong index) => _locations[(int)(index - FirstIndex)];

    public bool TryTerm(ulong index, out ulong term)
    {
        term = 0;
        if (index == Offset)
        {
            term = OffsetTerm;
            return true;
        }
        if (index < Offset || index > LastIndex)
        {
            return false;
        }
        term = _locations[(int)(index - FirstIndex)].Term;
        return true;
    }

    /// <summary>The cached entry at <paramref name="index"/>, if the cache covers it.</summary>
    public bool TryCached(ulong index, out Entry entry)
    {
        var cacheFirst = LastIndex + 1 - (ulong)_cache.Count;
        if (_cache.Count > 0 && index >= cacheFirst && index <= LastIndex)
        {
            entry = _cache[(int)(index - cacheFirst)];
            return true;
        }
        entry = default;
        return false;
    }

    /// <summary>Entries replacing everything from their first index on. Entries at or below the compaction
    /// point are already covered by it and skipped. Returns false (changing nothing) if they would leave a
    /// gap after the last index.</summary>
    public bool AppendEntries(ReadOnlySpan<Entry> entries, ReadOnlySpan<EntryLocation> locations, bool cache)
    {
        var skip = 0;
        while (skip < entries.Length && entries[skip].Index <= Offset)
        {
            skip++;
        }
        if (skip == entries.Length)
        {
            return true;
        }
        var first = entries[skip].Index;
        if (first > LastIndex + 1)
        {
            return false;
        }
        TruncateFrom(first);
        for (var i = skip; i < entries.Length; i++)
        {
            _locations.Add(locations[i]);
            LiveBytes += locations[i].Size;
            if (cache)
            {
                _cache.Add(entries[i]);
                _cacheBytes += entries[i].Data.Length;
            }
        }
        if (!cache)
        {
            // Recovery replays without data in hand: keep the cache a suffix of the log by dropping it.
            ClearCache();
        }
        return true;
    }

    /// <summary>Drops cached entries from the front while over <paramref name="maxBytes"/>, keeping any whose
    /// record is not durable yet (FasterLog serves reads only of committed records).</summary>
    public void TrimCache(long maxBytes, long durableUntil)
    {
        var drop = 0;
        var cacheFirst = LastIndex + 1 - (ulong)_cache.Count;
        while (drop < _cache.Count && _cacheBytes > maxBytes && Location(cacheFirst + (ulong)drop).Address < durableUntil)
        {
            _cacheBytes -= _cache[drop].Data.Length;
            drop++;
        }
        _cache.RemoveRange(0, drop);
    }

    public void SetHardState(HardState state, long address)
    {
        HardState = state;
        HardStateAddress = address;
    }

    /// <summary>The log restarts empty after (<paramref name="offset"/>, <paramref name="offsetTerm"/>), with
    /// <paramref name="snapshot"/> as its last snapshot.</summary>
    public void Rebase(ulong offset, ulong offsetTerm, SnapshotMetadata snapshot, long address)
    {
        Snapshot = snapshot;
        _locations.Clear();
        ClearCache();
        LiveBytes = 0;
        Offset = offset;
        OffsetTerm = offsetTerm;
        BaseAddress = address;
    }

    /// <summary>Drops entries up to <paramref name="compactTo"/>, whose term is <paramref name="term"/>.</summary>
    public void Compact(ulong compactTo, ulong term, long address)
    {
        if (compactTo <= Offset)
        {
            return;
        }
        var cacheFirst = LastIndex + 1 - (ulong)_cache.Count;
        var count = (int)Math.Min(compactTo - Offset, (ulong)_locations.Count);
        for (var i = 0; i < count; i++)
        {
            LiveBytes -= _locations[i].Size;
        }
        _locations.RemoveRange(0, count);
        Offset = compactTo;
        OffsetTerm = term;
        BaseAddress = address;
        if (_locations.Count == 0)
        {
            ClearCache();
        }
        else if (cacheFirst <= compactTo)
        {
            var drop = (int)Math.Min(compactTo + 1 - cacheFirst, (ulong)_cache.Count);
            for (var i = 0; i < drop; i++)
            {
                _cacheBytes -= _cache[i].Data.Length;
            }
            _cache.RemoveRange(0, drop);
        }
    }

    private void TruncateFrom(ulong index)
    {
        var keep = (int)(index - FirstIndex);
        for (var i = keep; i < _locations.Count; i++)
        {
            LiveBytes -= _locations[i].Size;
        }
        var cacheFirst = LastIndex + 1 - (ulong)_cache.Count;
        _locations.RemoveRange(keep, _locations.Count - keep);
        if (_cache.Count > 0)
        {
            if (index <= cacheFirst)
            {
                ClearCache();
            }
            else
            {
                var cacheKeep = (int)(index - cacheFirst);
                for (var i = cacheKeep; i < _cache.Count; i++)
                {
                    _cacheBytes -= _cache[i].Data.Length;
                }
                _cache.RemoveRange(cacheKeep, _cache.Count - cacheKeep);
            }
        }
    }

    private void ClearCache()
    {
        _cache.Clear();
        _cacheBytes = 0;
    }
}
