using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Metadata;

namespace MultiRaft.Client.Tests;

/// <summary>Natural batching of single-key calls: alone while the region is quiet, together once it is busy,
/// each caller with its own answer, and a failed batch failing each of its callers alike.</summary>
public sealed class RequestCoalescerTests
{
    private static readonly RegionContext Region = new(7, new EpochInfo(1, 1));

    /// <summary>A fake store: each batch waits until the test releases it, then answers every item with
    /// its value doubled.</summary>
    private sealed class GatedStore
    {
        public List<List<int>> Batches { get; } = [];

        public TaskCompletionSource Gate { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<(RegionError?, int[])> SendAsync(Transport.Rpc.RpcClient store, RegionContext context, List<int> items)
        {
            lock (Batches)
            {
                Batches.Add([.. items]);
            }
            await Gate.Task;
            return (null, [.. items.Select(i => i * 2)]);
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
    public async Task A_region_error_or_a_failed_call_reaches_every_caller_of_the_batch()
    {
        var failures = 0;
        var coalescer = new RequestCoalescer<int, int>(async (_, _, items) =>
        {
            await Task.Yield();
            return ++failures == 1
                ? (RegionError.NotLeader(7, null), [])
                : throw new Transport.Rpc.RpcConnectionException("connection lost");
        }, _ => 1, maxInflight: 1, maxItems: 10, maxBytes: 100);

        var first = coalescer.SubmitAsync(null!, Region, 1, 1, CancellationToken.None);
        var rest = Enumerable.Range(2, 3).Select(i => coalescer.SubmitAsync(null!, Region, 1, i, CancellationToken.None)).ToArray();

        Assert.Equal(RegionErrorKind.NotLeader, (await first).Error!.Kind);
        foreach (var call in rest)
        {
            await Assert.ThrowsAsync<Transport.Rpc.RpcConnectionException>(() => call);
        }
    }

    [Fact]
    public async Task Different_regions_epochs_and_stores_never_share_a_batch()
    {
        var store = new GatedStore();
        var coalescer = new RequestCoalescer<int, int>(store.SendAsync, _ => 1, maxInflight: 1, maxItems: 10, maxBytes: 100);
        var newer = Region with { Epoch = new EpochInfo(1, 2) };

        var calls = new[]
        {
            coalescer.SubmitAsync(null!, Region, 1, 1, CancellationToken.None),
            coalescer.SubmitAsync(null!, newer, 1, 2, CancellationToken.None),
            coalescer.SubmitAsync(null!, Region, 2, 3, CancellationToken.None),
            coalescer.SubmitAsync(null!, Region with { RegionId = 8 }, 1, 4, CancellationToken.None),
        };
        Assert.Equal(4, store.Batches.Count); // Four lanes, each with a free slot: each call went at once.
        store.Gate.SetResult();
        await Task.WhenAll(calls);
    }
}
