namespace MultiRaft.PlacementDriver.Storage;

/// <summary>
/// PD's durable metadata: the <see cref="MetadataLog"/> plus the folded <see cref="MetadataState"/> it
/// describes. Every <see cref="Write"/> is durable when it returns. The log is compacted (rewritten as the
/// live state) once it has grown to twice the size of the last compaction, so region heartbeats that
/// rewrite the same regions again and again cost disk in proportion to the live metadata, not to history.
/// </summary>
public sealed class MetadataStore : IDisposable
{
    /// <summary>A log smaller than this is never compacted: rewriting it would save nothing worth an fsync.</summary>
    public const long DefaultCompactAfterBytes = 4L * 1024 * 1024;

    private readonly Lock _lock = new();
    private readonly MetadataLog _log;
    private readonly long _compactAfterBytes;
    private long _liveBytes;

    private MetadataStore(MetadataLog log, MetadataState state, long compactAfterBytes)
    {
        _log = log;
        Recovered = state;
        _compactAfterBytes = compactAfterBytes;
        _liveBytes = log.Length;
    }

    /// <summary>The state the log held when it was opened, updated by every write since. Components read it
    /// once at start-up, before they write; later they keep their own view.</summary>
    public MetadataState Recovered { get; }

    /// <summary>Bytes cut from a torn tail when the log was opened.</summary>
    public long DiscardedBytes => _log.DiscardedBytes;

    public long LogBytes
    {
        get
        {
            lock (_lock)
            {
                return _log.Length;
            }
        }
    }

    public static MetadataStore Open(string directory, long compactAfterBytes = DefaultCompactAfterBytes)
    {
        var log = MetadataLog.Open(directory, out var records);
        var state = new MetadataState();
        foreach (var record in records)
        {
            state.Apply(record);
        }
        // What the log holds now counts as live: it is compacted once it has doubled since this start.
        return new MetadataStore(log, state, compactAfterBytes);
    }

    /// <summary>Appends the records with one fsync; they are durable when this returns.</summary>
    public void Write(params IReadOnlyCollection<MetaRecord> records)
    {
        if (records.Count == 0)
        {
            return;
        }
        lock (_lock)
        {
            _log.Append(records);
            foreach (var record in records)
            {
                Recovered.Apply(record);
            }
            CompactIfWorthIt();
        }
    }

    /// <summary>Rewrites the log as its live state now, whatever its size (tests and shutdown use it).</summary>
    public void Compact()
    {
        lock (_lock)
        {
            _log.Rewrite(Recovered.ToRecords());
            _liveBytes = _log.Length;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _log.Dispose();
        }
    }

    private void CompactIfWorthIt()
    {
        if (_log.Length >= _compactAfterBytes && _log.Length >= 2 * _liveBytes)
        {
            _log.Rewrite(Recovered.ToRecords());
            _liveBytes = _log.Length;
        }
    }
}
