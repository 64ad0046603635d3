namespace MultiRaft.Transport.Rpc;

/// <summary>
/// Deadline tokens shared by the calls whose deadlines fall in the same slot of time. A token of its own per call
/// (a linked source with <c>CancelAfter</c>) costs a timer per call: an allocation, and a lock on the runtime's
/// timer queue that every concurrent caller contends for; at a few hundred thousand calls a second that was a
/// tenth of the client's allocations and most of its lock contention. Here one source with one timer serves
/// every call that ends in the same slot. A token never fires before its call's deadline and at most one slot
/// after it.
/// </summary>
public sealed class SharedDeadlines
{
    /// <summary>A slot of about the system timer's own resolution: no call's deadline moves noticeably.</summary>
    public static readonly TimeSpan DefaultSlot = TimeSpan.FromMilliseconds(16);

    private readonly long _slotMs;
    private Slot? _latest;

    /// <param name="slot">How late a deadline may fire, at most; at least a millisecond.</param>
    public SharedDeadlines(TimeSpan slot)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slot, TimeSpan.FromMilliseconds(1));
        _slotMs = (long)slot.TotalMilliseconds;
    }

    /// <summary>A token cancelled no sooner than <paramref name="timeout"/> from now (and at most a slot later).</summary>
    public CancellationToken After(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        var now = Environment.TickCount64;
        // Rounded up, so that the slot's timer, started now for the rest of the slot, never fires early.
        var end = (now + (long)Math.Ceiling(timeout.TotalMilliseconds) + _slotMs - 1) / _slotMs * _slotMs;
        var latest = Volatile.Read(ref _latest);
        if (latest is not null && latest.End == end)
        {
            return latest.Source.Token;
        }
        // Calls with one timeout reach each slot in turn, so keeping the latest slot serves nearly all of them.
        // A caller that loses the race below still gets a correct token of its own.
        var fresh = new Slot(end, new CancellationTokenSource(TimeSpan.FromMilliseconds(end - now)));
        var seen = Interlocked.CompareExchange(ref _latest, fresh, latest);
        if (seen != latest && seen is not null && seen.End == end)
        {
            fresh.Source.Dispose();
            return seen.Source.Token;
        }
        return fresh.Source.Token;
    }

    /// <summary>The deadline of a call that ends <paramref name="timeout"/> from now (never, for
    /// <see cref="Timeout.InfiniteTimeSpan"/>) or when <paramref name="cancellation"/> fires, whichever comes
    /// first; dispose it when the call ends.</summary>
    public Deadline Start(TimeSpan timeout, CancellationToken cancellation)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return new Deadline(cancellation);
        }
        var deadline = After(timeout);
        return cancellation.CanBeCanceled
            ? new Deadline(CancellationTokenSource.CreateLinkedTokenSource(cancellation, deadline))
            : new Deadline(deadline);
    }

    // The sources are not disposed: each one's timer fires by the end of its slot, which cancels it and lets the
    // timer go; a source disposed earlier would cancel nothing for calls still holding its token.
    private sealed record Slot(long End, CancellationTokenSource Source);
}

/// <summary>One call's deadline (see <see cref="SharedDeadlines.Start"/>): a shared token, or one linked to the
/// caller's own token, which disposing releases.</summary>
public readonly struct Deadline : IDisposable
{
    private readonly CancellationTokenSource? _linked;

    internal Deadline(CancellationToken shared) => Token = shared;

    internal Deadline(CancellationTokenSource linked) => (_linked, Token) = (linked, linked.Token);

    public CancellationToken Token { get; }

    public void Dispose() => _linked?.Dispose();
}
