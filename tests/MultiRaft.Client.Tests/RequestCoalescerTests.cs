using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Metadata;

namespace MultiRaft.Client.Tests;

/// <summary>Natural batching of single-key calls: alone while the store is quiet, together once it is busy,
/// each caller with its own answer, and a failed request failing each of its callers alike.</summary>
public sealed class RequestCoalescerTests
{
    private static readonly RegionContext Region = new(7, new EpochInfo(1, 1));

    /// <summary>A fake store: each batch waits until the test releases it, then answers every item with
    /// its value doubled.</summary>
    private sealed class GatedStore
    {
        public List<List<int>> Batches { get; } = [];

        public TaskCompletionSource Gate { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<(RegionError?, int)[]> SendAsync(Transport.Rpc.RpcClient store, List<(RegionContext Context, int Item)> items)
        {
            lock (Batches)
            {
                Batches.Add([.. items.Select(i => i.Item)]);
            }
            await Gate.Task;
            return [.. items.Select(i => ((RegionError?)null, i.Item * 2))];
        }
    }

    [Fact]
    public async Task Calls_beyond_the_inflight_limit_wait_and_go_out_as_one_batch()
    {
        var store = new GatedStore();
        var coalescer = new RequestCoalescer<int, int>(store.SendAsync, _ => 4, maxInflight: 2, maxItems: 100, maxBytes: 1 << 20);

        var calls = Enumerable.Range(1, 10).Select(i => coalescer.SubmitAsync(null!, Region, storeId: 1, i, CancellationToken.None)).ToArray();
        Assert.Equal([[1], [2]], store.Batches); // The first two went alone, at once; eight wait.
        store.Gate.SetResult();
        var answers = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(1, 10).Select(i => ((RegionError?)null, i * 2)), answers);
        Assert.Equal(3, store.Batches.Count);
        Assert.Equal(Enumerable.Range(3, 8), store.Batches[2]); // The waiting eight, in order, in one batch.
    }

    [Fact]
    public async Task A_caller_whose_token_fires_stops_waiting_and_the_others_still_get_their_answers()
    {
        var store = new GatedStore();
        var coalescer = new RequestCoalescer<int, int>(store.SendAsync, _ => 4, maxInflight: 1, maxItems: 100, maxBytes: 1 << 20);
        using var leaving = new CancellationTokenSource();

        var first = coalescer.SubmitAsync(null!, Region, 1, 1, CancellationToken.None);
        var gone = coalescer.SubmitAsync(null!, Region, 1, 2, leaving.Token);
        var staying = coalescer.SubmitAsync(null!, Region, 1, 3, CancellationToken.None);
        await leaving.CancelAsync();

        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gone);
        Assert.Equal(leaving.Token, cancelled.CancellationToken);
        Assert.False(first.IsCompleted);
        store.Gate.SetResult();
        Assert.Equal(((RegionError?)null, 2), await first);
        Assert.Equal(((RegionError?)null, 6), await staying);
        Assert.Equal([[1], [2, 3]], store.Batches); // The item of the caller who left still went (it may have been on its way).
    }

    [Fact]
    public async Task Batches_respect_the_item_and_byte_limits()
    {
        var store = new GatedStore();
        var coalescer = new RequestCoalescer<int, int>(store.SendAsync, i => i, maxInflight: 1, maxItems: 3, maxBytes: 10);

        var calls = new[] { 1, 2, 3, 4, 5, 9, 20 }.Select(i => coalescer.SubmitAsync(null!, Region, 1, i, CancellationToken.None)).ToArray();
        store.Gate.SetResult();
        await Task.WhenAll(calls);

        // 3 items at most, 10 bytes at most — except an item larger than the limit, which goes alone.
        Assert.Equal([[1], [2, 3, 4], [5], [9], [20]], store.Batches);
    }

    [Fact]
    public async Task Each_caller_gets_its_own_regions_answer_and_a_failed_call_fails_all_its_callers()
    {
        var gates = new[] { new TaskCompletionSource(), new TaskCompletionSource(), new TaskCompletionSource(), new TaskCompletionSource() };
        var calls = 0;
        var coalescer = new RequestCoalescer<int, int>(async (_, items) =>
        {
            var call = Interlocked.Increment(ref calls) - 1;
            await gates[call].Task;
            return call == 3
                ? throw new Transport.Rpc.RpcConnectionException("connection lost")
                : [.. items.Select(i => (i.Context.RegionId == 8 ? RegionError.NotLeader(8, null) : null, i.Item))];
        }, _ => 1, maxInflight: 1, maxItems: 10, maxBytes: 100);
        var moved = Region with { RegionId = 8 };
        Task<(RegionError? Error, int Result)> Submit(RegionContext region, int item, ulong storeId = 1) => coalescer.SubmitAsync(null!, region, storeId, item, CancellationToken.None);

        var first = Submit(Region, 1); // Holds the lane; the next two wait and go together.
        var same = Submit(Region, 2);
        var elsewhere = Submit(moved, 3);
        gates[0].SetResult();
        gates[1].SetResult();
        Assert.Equal(((RegionError?)null, 1), await first);
        Assert.Equal(((RegionError?)null, 2), await same);
        Assert.Equal(RegionErrorKind.NotLeader, (await elsewhere).Error!.Kind);

        // Another store's lane (store 1's may still be finishing its last batch): the first call holds it, the
        // next two go together, in a call that fails.
        var holder = Submit(Region, 4, storeId: 2);
        var failing = new[] { Submit(Region, 5, storeId: 2), Submit(moved, 6, storeId: 2) };
        gates[2].SetResult();
        gates[3].SetResult();
        Assert.Null((await holder).Error);
        foreach (var call in failing)
        {
            await Assert.ThrowsAsync<Transport.Rpc.RpcConnectionException>(() => call);
        }
    }

    [Fact]
    public async Task Regions_led_by_one_store_share_a_request_and_other_stores_get_their_own()
    {
        var store = new GatedStore();
        var coalescer = new RequestCoalescer<int, int>(store.SendAsync, _ => 1, maxInflight: 1, maxItems: 10, maxBytes: 100);
        var otherRegion = Region with { RegionId = 8 };
        var newerEpoch = Region with { Epoch = new EpochInfo(1, 2) };

        var calls = new[]
        {
            coalescer.SubmitAsync(null!, Region, 1, 1, CancellationToken.None),
            coalescer.SubmitAsync(null!, Region, 2, 2, CancellationToken.None),
            coalescer.SubmitAsync(null!, otherRegion, 1, 3, CancellationToken.None),
            coalescer.SubmitAsync(null!, newerEpoch, 1, 4, CancellationToken.None),
        };
        Assert.Equal([[1], [2]], store.Batches); // One lane per store, each with a free slot.
        store.Gate.SetResult();
        await Task.WhenAll(calls);

        Assert.Equal([3, 4], store.Batches[2]); // Store 1's waiting calls, of two regions (or epochs), together.
    }

    [Fact]
    public async Task A_caller_blocking_on_another_call_of_its_own_batch_holds_up_nobody()
    {
        var store = new GatedStore();
        var coalescer = new RequestCoalescer<int, int>(store.SendAsync, _ => 1, maxInflight: 1, maxItems: 10, maxBytes: 100);

        var first = coalescer.SubmitAsync(null!, Region, 1, 1, CancellationToken.None);
        var blocking = coalescer.SubmitAsync(null!, Region, 1, 2, CancellationToken.None);
        var later = coalescer.SubmitAsync(null!, Region, 1, 3, CancellationToken.None); // Same batch, after it.
        // Sync over async in a continuation that runs where the answer arrives: it waits for a call that the
        // same batch completes after this one.
        var sawLater = blocking.ContinueWith(_ => later.Wait(TimeSpan.FromSeconds(30)), TaskContinuationOptions.ExecuteSynchronously);
        store.Gate.SetResult();

        Assert.True(await sawLater.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(((RegionError?)null, 6), await later);
        Assert.Equal(((RegionError?)null, 2), await first);
        Assert.Equal([[1], [2, 3]], store.Batches);
    }

    [Fact]
    public async Task A_caller_is_cancelled_off_the_thread_that_fires_its_token()
    {
        var store = new GatedStore();
        var coalescer = new RequestCoalescer<int, int>(store.SendAsync, _ => 1, maxInflight: 1, maxItems: 10, maxBytes: 100);
        using var leaving = new CancellationTokenSource();
        using var release = new ManualResetEventSlim();

        _ = coalescer.SubmitAsync(null!, Region, 1, 1, CancellationToken.None);
        var gone = coalescer.SubmitAsync(null!, Region, 1, 2, leaving.Token);
        var slowContinuation = gone.ContinueWith(_ => release.Wait(TimeSpan.FromSeconds(30)), TaskContinuationOptions.ExecuteSynchronously);
        var cancelling = Task.Run(leaving.Cancel);

        // Cancel returns while the caller's continuation still runs elsewhere (on the canceller's thread it
        // would hold Cancel for 30 s).
        await cancelling.WaitAsync(TimeSpan.FromSeconds(20));
        release.Set();
        Assert.True(await slowContinuation);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gone);
        store.Gate.SetResult();
    }
}
