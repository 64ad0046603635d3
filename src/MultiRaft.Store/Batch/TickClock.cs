using System.Diagnostics;

namespace MultiRaft.Store.Batch;

/// <summary>
/// Raft time for this store: the number of tick intervals elapsed on the monotonic clock. Peers catch up to it
/// whenever a worker runs them, so a process that was paused (SIGSTOP, a long GC, a starved thread) sees the
/// ticks it missed at once — its leader leases expire as they would have — instead of resuming as if no time
/// had passed.
/// </summary>
internal sealed class TickClock(TimeSpan interval)
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly long _interval = Math.Max(1, (long)(interval.TotalSeconds * Stopwatch.Frequency));

    public long Now => (Stopwatch.GetTimestamp() - _start) / _interval;
}
