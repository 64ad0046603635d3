using FASTER.core;
using MultiRaft.Raft;

namespace MultiRaft.Storage.RaftLog;

/// <summary>
/// Packs the entries and hard states of many regions into as few group records as fit (see
/// <see cref="LogRecord"/>), and indexes them once their record has an address. One record per region cost one
/// FasterLog enqueue, header and checksum per region: with thousands of regions in a write batch, that was
/// most of a write's cost. Used under the engine's gate; <see cref="Flush"/> ends every use.
/// </summary>
internal sealed class GroupRecordWriter(FasterLog log, int maxRecordBytes)
{
    private readonly List<Part> _parts = [];
    private byte[] _record = new byte[64 * 1024];
    private int _length = LogRecord.GroupPartsStart;
    private int[] _offsets = new int[256];
    private int _offsetCount;
    private EntryLocation[] _locations = new EntryLocation[256];
    private bool _cache;

    /// <summary>A part waiting for its record's address: entries (with their offsets from FirstOffset on in
    /// <see cref="_offsets"/>) or, when Entries is empty, a hard state.</summary>
    private readonly record struct Part(RegionLog Region, ReadOnlyMemory<Entry> Entries, int FirstOffset, HardState State);

    /// <summary>Whether the entries written from now on stay in the regions' caches (live appends) or not
    /// (rewrites of old entries).</summary>
    public void Begin(bool cache) => _cache = cache;

    /// <summary>Adds <paramref name="entries"/> of <paramref name="region"/>, in as many parts as needed.</summary>
    public void AddEntries(RegionLog region, ReadOnlyMemory<Entry> entries)
    {
        while (!entries.IsEmpty)
        {
            var span = entries.Span;
            var room = maxRecordBytes - _length - LogRecord.PartHeaderBytes - LogRecord.EntriesPrefixBytes;
            var bytes = 0;
            var count = 0;
            while (count < span.Length && bytes + LogRecord.EntrySize(span[count]) <= room)
            {
                bytes += LogRecord.EntrySize(span[count]);
                count++;
            }
            if (count == 0)
            {
                // Validated entries fit an empty record: this one is only full.
                Flush();
                continue;
            }
            var end = _length + LogRecord.PartHeaderBytes + LogRecord.EntriesPrefixBytes + bytes;
            EnsureRoom(end, _offsetCount + count);
            var written = LogRecord.WriteEntriesPart(_record, _length, region.Id, span[..count], _offsets.AsSpan(_offsetCount, count));
            _parts.Add(new Part(region, entries[..count], _offsetCount, default));
            _offsetCount += count;
            _length = written;
            entries = entries[count..];
        }
    }

    public void AddHardState(RegionLog region, HardState state)
    {
        var end = _length + LogRecord.PartHeaderBytes + LogRecord.HardStateBytes;
        if (end > maxRecordBytes)
        {
            Flush();
            end = _length + LogRecord.PartHeaderBytes + LogRecord.HardStateBytes;
        }
        EnsureRoom(end, _offsetCount);
        _length = LogRecord.WriteHardStatePart(_record, _length, region.Id, state);
        _parts.Add(new Part(region, ReadOnlyMemory<Entry>.Empty, 0, state));
    }

    /// <summary>Enqueues the record being filled, if it has parts, and indexes them at its address.</summary>
    public void Flush()
    {
        if (_parts.Count == 0)
        {
            return;
        }
        var length = LogRecord.SealGroup(_record, _length, _parts.Count);
        var address = log.Enqueue(_record.AsSpan(0, length));
        try
        {
            Index(address);
        }
        finally
        {
            _parts.Clear();
            _length = LogRecord.GroupPartsStart;
            _offsetCount = 0;
        }
    }

    private void Index(long address)
    {
        foreach (var part in _parts)
        {
            if (part.Entries.IsEmpty)
            {
                part.Region.SetHardState(part.State, address);
                continue;
            }
            var entries = part.Entries.Span;
            for (var i = 0; i < entries.Length; i++)
            {
                _locations[i] = new EntryLocation(address, _offsets[part.FirstOffset + i], LogRecord.EntrySize(entries[i]), entries[i].Term, entries[i].Type);
            }
            if (!part.Region.AppendEntries(entries, _locations.AsSpan(0, entries.Length), _cache))
            {
                throw new InvalidOperationException($"region {part.Region.Id}: entries from {entries[0].Index} leave a gap after last index {part.Region.LastIndex}");
            }
        }
    }

    private void EnsureRoom(int bytes, int offsets)
    {
        if (_record.Length < bytes)
        {
            Array.Resize(ref _record, Math.Max(bytes, _record.Length * 2));
        }
        if (_offsets.Length < offsets)
        {
            Array.Resize(ref _offsets, Math.Max(offsets, _offsets.Length * 2));
            _locations = new EntryLocation[_offsets.Length];
        }
    }
}
