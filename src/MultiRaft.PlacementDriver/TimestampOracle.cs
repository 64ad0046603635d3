using MultiRaft.PlacementDriver.Storage;

namespace MultiRaft.PlacementDriver;

/// <summary>
/// The timestamp oracle: timestamps are <c>physical ms &lt;&lt; 18 | logical</c>, strictly increasing, also
/// across restarts. Every timestamp handed out has a physical part below a persisted high-water mark, which
/// is pushed a window ahead of the clock (one fsync per window, not per call); a restart starts at that mark,
/// above everything handed out before, even if the clock went backwards.
/// </summary>
public sealed class TimestampOracle
{
    public const int LogicalBits = 18;
    public const int MaxCount = 10_000;
    private const long MaxLogical = (1L << LogicalBits) - 1;

    private readonly Lock _lock = new();
    private readonly MetadataStore _metadata;
    private readonly TimeProvider _clock;
    private readonly long _windowMs;
    private long _physical;
    private long _logical;
    private long _persistedLimit;

    public TimestampOracle(MetadataStore metadata, TimeProvider clock, TimeSpan window)
    {
        _metadata = metadata;
        _clock = clock;
        _windowMs = Math.Max(1, (long)window.TotalMilliseconds);
        _persistedLimit = (long)metadata.Recovered.TsoHighWaterMs;
        // Every earlier timestamp had a physical part below the limit: starting at it (logical 0, and the
        // first timestamp gets logical >= 1) puts us strictly above them.
        _physical = _persistedLimit;
        _logical = 0;
    }

    /// <summary>Reserves <paramref name="count"/> consecutive timestamps and returns the last of them.</summary>
    public ulong Next(int count)
    {
        if (count is < 1 or > MaxCount)
        {
            throw new ArgumentException($"timestamp count must be between 1 and {MaxCount}, not {count}", nameof(count));
        }
        lock (_lock)
        {
            var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
            if (now > _physical)
            {
                _physical = now;
                _logical = 0;
            }
            if (_logical + count > MaxLogical)
            {
                // More than 2^18 timestamps in one millisecond: borrow the next millisecond.
                _physical++;
                _logical = 0;
            }
            if (_physical >= _persistedLimit)
            {
                var limit = _physical + _windowMs;
                _metadata.Write(new MetaRecord(MetaRecordKind.TsoHighWater, (ulong)limit));
                _persistedLimit = limit;
            }
            _logical += count;
            return Last;
        }
    }

    /// <summary>The last timestamp handed out; after a restart, until the first one, a value above all handed
    /// out before and below all to come. A GC safe point may not pass it: past it lie timestamps that
    /// transactions have not started at yet.</summary>
    public ulong Current
    {
        get
        {
            lock (_lock)
            {
                return Last;
            }
        }
    }

    /// <summary>The last timestamp handed out; read under <see cref="_lock"/>.</summary>
    private ulong Last => ((ulong)_physical << LogicalBits) | (ulong)_logical;
}
