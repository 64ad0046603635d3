using MultiRaft.Raft;

namespace MultiRaft.Storage.RaftLog;

public sealed partial class RaftLogEngine
{
    private static readonly RegionLog Unknown = new(0);

    public ulong FirstIndex(ulong region)
    {
        lock (_gate)
        {
            return Find(region).FirstIndex;
        }
    }

    public ulong LastIndex(ulong region)
    {
        lock (_gate)
        {
            return Find(region).LastIndex;
        }
    }

    public HardState HardState(ulong region)
    {
        lock (_gate)
        {
            return Find(region).HardState;
        }
    }

    /// <summary>Metadata of the region's last snapshot (or bootstrap point); index 0 if none.</summary>
    public SnapshotMetadata SnapshotMetadata(ulong region)
    {
        lock (_gate)
        {
            return Find(region).Snapshot;
        }
    }

    /// <summary>Term of the entry at <paramref name="index"/>; valid from first index - 1 to last index.</summary>
    public LogRead Term(ulong region, ulong index, out ulong term)
    {
        lock (_gate)
        {
            var log = Find(region);
            if (log.TryTerm(index, out term))
            {
                return LogRead.Ok;
            }
            return index < log.Offset ? LogRead.Compacted : LogRead.Unavailable;
        }
    }

    /// <summary>Entries in [lo, hi), at most <paramref name="maxBytes"/> of data (always at least one):
    /// recent ones from the cache, older ones from the log. Below the first index answers Compacted, never
    /// stale bytes.</summary>
    public LogRead Entries(ulong region, ulong lo, ulong hi, long maxBytes, List<Entry> into)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            var log = Find(region);
            if (lo <= log.Offset)
            {
                return LogRead.Compacted;
            }
            if (hi > log.LastIndex + 1)
            {
                return LogRead.Unavailable;
            }
            ReadEntries(log, lo, hi, maxBytes, into);
            return LogRead.Ok;
        }
    }

    /// <summary>Reads live entries in [lo, hi) up to <paramref name="maxBytes"/> (at least one); the caller holds the gate.</summary>
    private void ReadEntries(RegionLog log, ulong lo, ulong hi, long maxBytes, List<Entry> into)
    {
        long bytes = 0;
        byte[]? record = null;
        long recordAddress = -1;
        for (var index = lo; index < hi; index++)
        {
            if (!log.TryCached(index, out var entry))
            {
                var location = log.Location(index);
                if (location.Address != recordAddress)
                {
                    record = ReadRecord(location.Address);
                    recordAddress = location.Address;
                }
                entry = LogRecord.ReadEntry(record!, location.Offset, index);
            }
            bytes += entry.SizeBytes;
            if (bytes > maxBytes && index > lo)
            {
                return;
            }
            into.Add(entry);
        }
    }

    public LogEngineStats Stats()
    {
        lock (_gate)
        {
            long live = 0;
            foreach (var log in _regions.Values)
            {
                live += log.LiveBytes;
            }
            return new LogEngineStats(_log.BeginAddress, _log.TailAddress, _log.CommittedUntilAddress, live, _regions.Count);
        }
    }

    public RegionLogStats RegionStats(ulong region)
    {
        lock (_gate)
        {
            var log = Find(region);
            return new RegionLogStats(region, log.FirstIndex, log.LastIndex, log.LiveBytes, log.OldestLiveAddress);
        }
    }

    private RegionLog Find(ulong region) => _regions.TryGetValue(region, out var log) ? log : Unknown;

    /// <summary>Reads one durable record from the log (disk or memory) and checks it.</summary>
    private byte[] ReadRecord(long address)
    {
        var (record, length) = _log.ReadAsync(address).AsTask().GetAwaiter().GetResult();
        if (record is null || !LogRecord.TryReadHeader(record.AsSpan(0, length), out _, out _))
        {
            throw new StorageException($"the log record at {address} is unreadable or damaged");
        }
        return record;
    }
}
