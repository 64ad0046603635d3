using System.Diagnostics;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Transport.Tests;

/// <summary>Deadline tokens shared within a slot: never early, at most a slot late, one source for calls that end
/// together, and the caller's own token still obeyed.</summary>
public sealed class SharedDeadlinesTests
{
    private static readonly TimeSpan Slot = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task A_token_fires_no_sooner_than_its_timeout_and_within_a_slot_after()
    {
        var deadlines = new SharedDeadlines(Slot);
        var timeout = TimeSpan.FromMilliseconds(120);
        for (var i = 0; i < 5; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var token = deadlines.After(timeout);
            var fired = new TaskCompletionSource();
            using var _ = token.Register(() => fired.SetResult());
            await fired.Task.WaitAsync(TimeSpan.FromSeconds(10));
            var elapsed = Stopwatch.GetElapsedTime(started);
            // The system timer may fire a tick early against the stopwatch; its resolution, not the slot's.
            Assert.True(elapsed >= timeout - TimeSpan.FromMilliseconds(2), $"fired after {elapsed.TotalMilliseconds} ms of {timeout.TotalMilliseconds}");
            Assert.True(elapsed < timeout + Slot + TimeSpan.FromSeconds(1), $"fired after {elapsed.TotalMilliseconds} ms");
        }
    }

    [Fact]
    public void Calls_that_end_in_the_same_slot_share_one_token_and_later_ones_get_another()
    {
        var deadlines = new SharedDeadlines(TimeSpan.FromSeconds(10));
        var first = deadlines.After(TimeSpan.FromSeconds(30));
        var second = deadlines.After(TimeSpan.FromSeconds(30));
        var later = deadlines.After(TimeSpan.FromSeconds(50));

        // Two calls a moment apart fall in one 10 s slot unless a slot boundary passed between them (rare).
        Assert.True(first == second || deadlines.After(TimeSpan.FromSeconds(30)) == deadlines.After(TimeSpan.FromSeconds(30)));
        Assert.NotEqual(first, later);
        Assert.False(first.IsCancellationRequested);
    }

    [Fact]
    public async Task A_deadline_also_ends_when_the_callers_own_token_fires_and_leaves_the_shared_one_alone()
    {
        var deadlines = new SharedDeadlines(Slot);
        using var caller = new CancellationTokenSource();
        var shared = deadlines.After(TimeSpan.FromMinutes(1));

        using (var deadline = deadlines.Start(TimeSpan.FromMinutes(1), caller.Token))
        {
            Assert.False(deadline.Token.IsCancellationRequested);
            await caller.CancelAsync();
            Assert.True(deadline.Token.IsCancellationRequested);
        }
        Assert.False(shared.IsCancellationRequested);
    }

    [Fact]
    public void An_infinite_timeout_leaves_only_the_callers_token()
    {
        using var caller = new CancellationTokenSource();
        using var deadline = new SharedDeadlines(Slot).Start(Timeout.InfiniteTimeSpan, caller.Token);

        Assert.Equal(caller.Token, deadline.Token);
    }

    [Fact]
    public void Bad_slots_and_timeouts_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SharedDeadlines(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SharedDeadlines(Slot).After(TimeSpan.FromMilliseconds(-1)));
    }
}
