using MultiRaft.Protocol.Kv;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Client;

public sealed partial class RawKvClient
{
    /// <summary>The value of <paramref name="key"/>, or null when it is absent. Linearizable.</summary>
    public Task<byte[]?> GetAsync(byte[] key, CancellationToken cancellation = default) =>
        RunAsync(CheckKey(key), isWrite: false, (Client: this, Key: key), static (call, store, region, context, token) =>
            call.Client._gets?.SubmitAsync(store, context, region.Leader!.Value.StoreId, call.Key, token)
            ?? call.Client.GetAloneAsync(store, context, call.Key, token), cancellation);

    public Task PutAsync(byte[] key, byte[] value, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        CheckValue(value);
        return RunAsync(CheckKey(key), isWrite: true, (Client: this, Pair: new KvEntry(key, value)), static (call, store, region, context, token) =>
            call.Client._puts?.SubmitAsync(store, context, region.Leader!.Value.StoreId, call.Pair, token)
            ?? call.Client.PutAloneAsync(store, context, call.Pair, token), cancellation);
    }

    /// <summary>A Get as a request of its own (coalescing off).</summary>
    private async Task<(RegionError?, byte[]?)> GetAloneAsync(RpcClient store, RegionContext context, byte[] key, CancellationToken cancellation)
    {
        var answer = await CallAsync<GetRequest, GetResponse>(store, KvMethods.Get, new GetRequest(context, key), cancellation).ConfigureAwait(false);
        return (answer.Error, answer.Value);
    }

    /// <summary>A Put as a request of its own (coalescing off).</summary>
    private async Task<(RegionError?, bool)> PutAloneAsync(RpcClient store, RegionContext context, KvEntry pair, CancellationToken cancellation)
    {
        var answer = await CallAsync<PutRequest, WriteResponse>(store, KvMethods.Put, new PutRequest(context, pair.Key, pair.Value), cancellation).ConfigureAwait(false);
        return (answer.Error, true);
    }

    public Task DeleteAsync(byte[] key, CancellationToken cancellation = default) =>
        RunAsync(CheckKey(key), isWrite: true, async (store, _, context, token) =>
        {
            var answer = await CallAsync<DeleteRequest, WriteResponse>(store, KvMethods.Delete, new DeleteRequest(context, key), token).ConfigureAwait(false);
            return (answer.Error, true);
        }, cancellation);

    /// <summary>Sets <paramref name="key"/> to <paramref name="newValue"/> (null deletes it) if its value is
    /// <paramref name="expected"/> (null: absent). Returns whether it swapped and the value it found.</summary>
    public Task<(bool Swapped, byte[]? Previous)> CompareAndSwapAsync(byte[] key, byte[]? expected, byte[]? newValue, CancellationToken cancellation = default)
    {
        CheckValue(expected, "an expected value");
        CheckValue(newValue, "a new value");
        return RunAsync(CheckKey(key), isWrite: true, async (store, _, context, token) =>
        {
            var answer = await CallAsync<CompareAndSwapRequest, CompareAndSwapResponse>(
                store, KvMethods.CompareAndSwap, new CompareAndSwapRequest(context, key, expected, newValue), token).ConfigureAwait(false);
            return (answer.Error, (answer.Succeeded, answer.PreviousValue));
        }, cancellation);
    }

    /// <summary>Pairs with keys in <c>[start, end)</c> (empty end: to the end of the key space), in key order,
    /// at most <paramref name="limit"/>, walking the regions in order.</summary>
    public async Task<IReadOnlyList<KvEntry>> ScanAsync(byte[] start, byte[] end, int limit, CancellationToken cancellation = default)
    {
        CheckRange(start, end);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var pairs = new List<KvEntry>();
        var from = start.Length == 0 ? [0] : start;
        while (pairs.Count < limit)
        {
            var want = Math.Min(limit - pairs.Count, _options.MaxBatchKeys);
            var (found, regionEnd) = await RunAsync(from, isWrite: false, async (store, region, context, token) =>
            {
                var answer = await CallAsync<ScanRequest, ScanResponse>(store, KvMethods.Scan, new ScanRequest(context, from, end, want), token).ConfigureAwait(false);
                return (answer.Error, (answer.Pairs, region.Region.EndKey));
            }, cancellation).ConfigureAwait(false);
            pairs.AddRange(found);
            var regionDone = found.Length < want;
            if (!regionDone)
            {
                from = [.. found[^1].Key, 0]; // The smallest key after the last one returned.
                continue;
            }
            if (regionEnd.Length == 0 || (end.Length > 0 && end.AsSpan().SequenceCompareTo(regionEnd) <= 0))
            {
                break;
            }
            from = regionEnd;
        }
        return pairs;
    }
}
