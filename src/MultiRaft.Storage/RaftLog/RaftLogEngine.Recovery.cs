using MultiRaft.Raft;

namespace MultiRaft.Storage.RaftLog;

public sealed partial class RaftLogEngine
{
    /// <summary>
    /// Rebuilds every region's index by replaying the records in address order, the same way live writes
    /// built it. Recovery sees only what the last commit made durable; within that, the first record whose
    /// checksum fails ends the log: it and everything after it at this restart are cut off and remembered,
    /// so later scans jump over them.
    /// </summary>
    private void Recover()
    {
        var address = _log.BeginAddress;
        var tail = _log.TailAddress;
        var entries = new List<Entry>();
        var locations = new List<EntryLocation>();
        while (address < tail)
        {
            if (_cutoffs.TrySkip(address, out var resume))
            {
                address = resume;
                continue;
            }
            var damagedAt = ReplayFrom(address, tail, entries, locations, out var next);
            if (damagedAt is { } at)
            {
                if (at == _log.BeginAddress)
                {
                    // Not a damaged tail: nothing at all is readable (lost or foreign segment files). Cutting
                    // here would open the store empty, as if it had lost every region; an operator must look.
                    throw new StorageException($"{_options.Directory}: the first log record (at {at}) is unreadable; refusing to open a log that would come up empty");
                }
                _cutoffs.Add(at, tail);
                return;
            }
            address = next;
        }
    }

    /// <summary>Replays records from <paramref name="from"/> until the end, a cut-off range, or a damaged
    /// record (whose address it returns).</summary>
    private long? ReplayFrom(long from, long tail, List<Entry> entries, List<EntryLocation> locations, out long next)
    {
        next = tail;
        using var iterator = _log.Scan(from, tail);
        var expected = from;
        while (true)
        {
            byte[] record;
            int length;
            long current;
            long following;
            try
            {
                if (!iterator.GetNext(out record, out length, out current, out following))
                {
                    // A scan of committed data ends exactly at the tail; ending earlier means it met bytes
                    // that are not a record (zeroed or missing pages).
                    return expected < tail ? expected : null;
                }
            }
            catch (Exception e) when (e is FASTER.core.FasterException or InvalidOperationException or ArgumentOutOfRangeException or IndexOutOfRangeException)
            {
                return expected;
            }
            if (_cutoffs.TrySkip(current, out _))
            {
                next = current;
                return null;
            }
            if (!Replay(record.AsSpan(0, length), current, entries, locations))
            {
                return current;
            }
            expected = following;
        }
    }

    /// <summary>Applies one record to the index; false if it is damaged.</summary>
    private bool Replay(ReadOnlySpan<byte> record, long address, List<Entry> entries, List<EntryLocation> locations)
    {
        if (!LogRecord.TryReadHeader(record, out var kind, out var regionId))
        {
            return false;
        }
        try
        {
            if (kind != RecordKind.Group)
            {
                ReplayPart(kind, regionId, record, LogRecord.HeaderBytes, address, entries, locations);
                return true;
            }
            var parts = LogRecord.GroupParts(record);
            var at = LogRecord.GroupPartsStart;
            for (var i = 0; i < parts; i++)
            {
                var (partKind, partRegion, bodyStart, bodyEnd) = LogRecord.ReadPart(record, ref at);
                ReplayPart(partKind, partRegion, record[..bodyEnd], bodyStart, address, entries, locations);
            }
            if (parts <= 0 || at != record.Length)
            {
                throw new StorageException($"the group record at {address} does not hold exactly its {parts} parts");
            }
        }
        catch (Exception e) when (e is StorageException or ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            // The checksum matched but the content does not make sense: treat it as damage too.
            return false;
        }
        return true;
    }

    /// <summary>Applies one record, or one part of a group record, whose body starts at <paramref name="bodyStart"/>
    /// and runs to the end of <paramref name="record"/>.</summary>
    private void ReplayPart(RecordKind kind, ulong regionId, ReadOnlySpan<byte> record, int bodyStart, long address, List<Entry> entries, List<EntryLocation> locations)
    {
        var body = record[bodyStart..];
        switch (kind)
        {
            case RecordKind.Entries:
                ReplayEntries(Region(regionId), record, bodyStart, address, entries, locations);
                break;
            case RecordKind.HardState:
                Region(regionId).SetHardState(LogRecord.ReadHardState(body), address);
                break;
            case RecordKind.Base:
                var (offset, offsetTerm, snapshot) = LogRecord.ReadBase(body);
                Region(regionId).Rebase(offset, offsetTerm, snapshot, address);
                break;
            case RecordKind.Compact:
                var (compactTo, term) = LogRecord.ReadCompact(body);
                Region(regionId).Compact(compactTo, term, address);
                break;
            case RecordKind.Tombstone:
                _regions.Remove(regionId);
                break;
        }
    }

    private static void ReplayEntries(RegionLog region, ReadOnlySpan<byte> record, int bodyStart, long address, List<Entry> entries, List<EntryLocation> locations)
    {
        var (first, count) = LogRecord.ReadEntriesPrefix(record[bodyStart..]);
        if (count <= 0)
        {
            throw new StorageException($"region {region.Id}: empty entries record at {address}");
        }
        entries.Clear();
        locations.Clear();
        var offset = bodyStart + LogRecord.EntriesPrefixBytes;
        for (var i = 0; i < count; i++)
        {
            var index = first + (ulong)i;
            var (term, type, length) = LogRecord.ReadEntryHeader(record, offset, index);
            var size = LogRecord.EntryHeaderBytes + length;
            // Data stays on disk: the index keeps only where it is.
            entries.Add(new Entry(term, index, type, ReadOnlyMemory<byte>.Empty));
            locations.Add(new EntryLocation(address, offset, size, term, type));
            offset += size;
        }
        if (offset != record.Length)
        {
            throw new StorageException($"region {region.Id}: the entries at {address} do not fill their part");
        }
        // A gap means these entries belong to a region whose earlier records a purge truncated after
        // rewriting it further on: the rewrite (a Base record, later in the log) re-establishes it, so these
        // stale fragments are skipped, not treated as damage.
        region.AppendEntries(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(entries), System.Runtime.InteropServices.CollectionsMarshal.AsSpan(locations), cache: false);
    }
}
