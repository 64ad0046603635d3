using MultiRaft.Client.Txn;

namespace MultiRaft.Client.Tests.Txn;

/// <summary>Timestamp batching against a fake oracle that hands out consecutive timestamps and can be held
/// mid-call: callers that ask while a call is in flight share the next call, and never get a timestamp from
/// a call sent before they asked.</summary>
public sealed class TsoBatcherTests
{
    /// <summary>PD's oracle in miniature: <c>count</c> consecutive timestamps per call, the last returned.
    /// While <see cref="Gate"/> is set, calls wait for it.</summary>
    private sealed class FakeOracle
    {
        private ulong _last = 1_000;
        private int _inFlight;

        public List<int> Calls { get; } = [];

        public int MostInFlight { get; private set; }

        public TaskCompletionSource? Gate { get; set; }

        public Exception? FailNext { get; set; }

        public async Task<ulong> ReserveAsync(int count, CancellationToken cancellation)
        {
            lock (Calls)
            {
                Calls.Add(count);
                MostInFlight = Math.Max(MostInFlight, ++_inFlight);
            }
            try
            {
                if (Gate is { } gate)
                {
                    await gate.Task.WaitAsync(cancellation);
                }
                if (FailNext is { } failure)
                {
                    FailNext = null;
                    throw failure;
                }
                lock (Calls)
                {
                    _last += (ulong)count;
                    return _last;
                }
            }
            finally
            {
                lock (Calls)
                {
                    _inFlight--;
                }
            }
        }
    }

    [Fact]
    public async Task Callers_that_ask_during_a_call_share_the_next_one_and_get_later_timestamps()
    {
        var oracle = new FakeOracle { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var batcher = new TsoBatcher(oracle.ReserveAsync);

        var first = batcher.NextAsync(default);
        var later = Enumerable.Range(0, 99).Select(_ => batcher.NextAsync(default)).ToList();
        Assert.Equal([1], oracle.Calls); // The 99 wait: the call in flight was sent before they asked.
        oracle.Gate.SetResult();
        var stamps = await Task.WhenAll(later);
        var firstStamp = await first;

        Assert.Equal([1, 99], oracle.Calls);
        Assert.Equal(1, oracle.MostInFlight);
        Assert.Equal(99, stamps.Distinct().Count());
        Assert.All(stamps, s => Assert.True(s > firstStamp));
        Assert.Equal(stamps.Order(), stamps); // Consecutive, in the order asked.
    }

    [Fact]
    public async Task One_call_reserves_at_most_a_batch_the_rest_go_in_the_next()
    {
        var oracle = new FakeOracle { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var batcher = new TsoBatcher(oracle.ReserveAsync);

        var all = Enumerable.Range(0, TsoBatcher.MaxBatch + 101).Select(_ => batcher.NextAsync(default)).ToList();
        oracle.Gate.SetResult();
        var stamps = await Task.WhenAll(all);

        Assert.Equal([1, TsoBatcher.MaxBatch, 100], oracle.Calls);
        Assert.Equal(stamps.Length, stamps.Distinct().Count());
    }

    [Fact]
    public async Task A_failed_call_fails_its_callers_and_the_next_caller_gets_a_fresh_call()
    {
        var oracle = new FakeOracle { FailNext = new TimeoutException("PD did not answer") };
        var batcher = new TsoBatcher(oracle.ReserveAsync);

        await Assert.ThrowsAsync<TimeoutException>(() => batcher.NextAsync(default));
        var stamp = await batcher.NextAsync(default);

        Assert.Equal(1_001UL, stamp);
        Assert.Equal([1, 1], oracle.Calls);
    }

    [Fact]
    public async Task A_caller_that_gives_up_does_not_hold_back_the_others()
    {
        var oracle = new FakeOracle { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var batcher = new TsoBatcher(oracle.ReserveAsync);
        using var impatient = new CancellationTokenSource();

        var first = batcher.NextAsync(default);
        var givesUp = batcher.NextAsync(impatient.Token);
        var waits = batcher.NextAsync(default);
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => givesUp);
        oracle.Gate.SetResult();

        Assert.True(await waits > await first);
    }
}
