namespace MultiRaft.Cli.Bench;

/// <summary>
/// Caps a run at a target rate (<c>--rate</c>): every 10 ms a timer hands out the permits for the time that
/// passed since its last run (so a late timer does not lower the rate), and each client takes one before each
/// operation. Unused permits carry over for at most 100 ms, so a stall is not followed by a burst that would
/// make the latency figures at this rate look like another load's.
/// </summary>
internal sealed class RateLimiter : IDisposable
{
    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(10);
    private readonly SemaphoreSlim _permits = new(0);
    private readonly Timer _timer;
    private readonly double _perSecond;
    private readonly int _maxBacklog;
    private long _lastRefill = System.Diagnostics.Stopwatch.GetTimestamp();
    private double _owed;

    public RateLimiter(double opsPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(opsPerSecond);
        _perSecond = opsPerSecond;
        _maxBacklog = (int)Math.Max(1, opsPerSecond / 10);
        _timer = new Timer(_ => Refill(), null, TimeSpan.Zero, Slice);
    }

    public Task WaitAsync(CancellationToken cancellation) => _permits.WaitAsync(cancellation);

    private void Refill()
    {
        lock (_timer)
        {
            var now = System.Diagnostics.Stopwatch.GetTimestamp();
            _owed += _perSecond * System.Diagnostics.Stopwatch.GetElapsedTime(_lastRefill, now).TotalSeconds;
            _lastRefill = now;
            var grant = Math.Min((int)_owed, Math.Max(0, _maxBacklog - _permits.CurrentCount));
            _owed -= (int)_owed; // Permits beyond the backlog are forfeited, not owed.
            if (grant > 0)
            {
                _permits.Release(grant);
            }
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        _permits.Dispose();
    }
}
