using System.Collections.Concurrent;
using MultiRaft.Protocol;
using MultiRaft.Protocol.Kv;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Client;

/// <summary>
/// How batch calls are routed: the items are grouped by region (the cache, PD on a miss), each region's group
/// is cut into requests within the stores' per-request limits, and the requests are sent concurrently, at
/// most <see cref="RawKvClientOptions.MaxBatchRequestsPerStore"/> at a time to each store. A request refused
/// because its region moved or changed (NotLeader, EpochNotMatch, KeyNotInRegion, RegionNotFound, a store
/// that cannot be reached before sending) is corrected in the cache and its items alone are grouped and sent
/// again; everything runs under one deadline. A write request sent without an answer is never re-sent: its
/// keys are counted as in doubt.
/// </summary>
public sealed partial class RawKvClient
{
    /// <summary>Sends one request (items of one region, within the per-request limits) to a store.</summary>
    internal delegate Task<RegionError?> ChunkSend<TItem>(RpcClient store, RegionContext context, List<TItem> chunk, CancellationToken cancellation);

    /// <summary>Runs a batch call to the end, or throws: <see cref="UnknownOutcomeException"/> when keys of a
    /// write are in doubt, <see cref="ClusterUnavailableException"/> at the deadline.</summary>
    internal async Task RunBatchAsync<TItem>(List<TItem> items, Func<TItem, byte[]> keyOf, Func<TItem, long> bytesOf, bool isWrite, ChunkSend<TItem> send, string what, CancellationToken cancellation)
    {
        if (items.Count == 0)
        {
            return;
        }
        using var deadline = _deadlines.Start(_options.Timeout, cancellation);
        var call = new BatchCall<TItem>(this, keyOf, bytesOf, isWrite, send, deadline.Token);
        var timedOut = false;
        try
        {
            await call.RunAsync(items, new Backoff(_options.BackoffMin, _options.BackoffMax)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            timedOut = true;
        }
        var (done, inDoubt) = (call.DoneKeys, call.InDoubtKeys);
        if (inDoubt > 0)
        {
            throw new UnknownOutcomeException(
                $"{what}: the outcome of {inDoubt} of {items.Count} keys is unknown (sent without an answer; not re-sent); " +
                $"{done} were written, {items.Count - done - inDoubt} were not. Last problem: {call.LastProblem}");
        }
        if (timedOut)
        {
            throw new ClusterUnavailableException(
                $"{what}: no answer within {_options.Timeout.TotalSeconds:0.#} s for {items.Count - done} of {items.Count} keys" +
                (isWrite ? $" ({done} were written, the others not)" : "") + $"; last problem: {call.LastProblem}");
        }
    }

    private sealed class BatchCall<TItem>(RawKvClient client, Func<TItem, byte[]> keyOf, Func<TItem, long> bytesOf, bool isWrite, ChunkSend<TItem> send, CancellationToken deadline)
    {
        private int _doneKeys;
        private int _inDoubtKeys;
        private volatile string _lastProblem = "no attempt finished";

        public int DoneKeys => Volatile.Read(ref _doneKeys);

        public int InDoubtKeys => Volatile.Read(ref _inDoubtKeys);

        public string LastProblem => _lastProblem;

        /// <summary>Groups <paramref name="items"/> by region and store and sends them.</summary>
        public async Task RunAsync(List<TItem> items, Backoff backoff)
        {
            var byRegion = await GroupAsync(items, backoff).ConfigureAwait(false);
            var byStore = new Dictionary<ulong, ConcurrentQueue<(CachedRegion Region, List<TItem> Chunk)>>();
            foreach (var (region, group) in byRegion.Values)
            {
                var storeId = (region.Leader ?? FirstVoter(region.Region)).StoreId;
                if (!byStore.TryGetValue(storeId, out var queue))
                {
                    byStore[storeId] = queue = new ConcurrentQueue<(CachedRegion, List<TItem>)>();
                }
                foreach (var chunk in Chunk(group))
                {
                    queue.Enqueue((region, chunk));
                }
            }
            var senders = new List<Task>();
            foreach (var queue in byStore.Values)
            {
                var workers = Math.Min(queue.Count, Math.Max(1, client._options.MaxBatchRequestsPerStore));
                for (var i = 0; i < workers; i++)
                {
                    senders.Add(DrainAsync(queue, backoff));
                }
            }
            await Task.WhenAll(senders).ConfigureAwait(false);
        }

        private async Task DrainAsync(ConcurrentQueue<(CachedRegion Region, List<TItem> Chunk)> queue, Backoff backoff)
        {
            while (queue.TryDequeue(out var next))
            {
                await SendAsync(next.Region, next.Chunk, backoff.Fork()).ConfigureAwait(false);
            }
        }

        private async Task<Dictionary<ulong, (CachedRegion Region, List<TItem> Items)>> GroupAsync(List<TItem> items, Backoff backoff)
        {
            var groups = new Dictionary<ulong, (CachedRegion Region, List<TItem> Items)>();
            foreach (var item in items)
            {
                var key = keyOf(item);
                var region = client._cache.Find(key);
                while (region is null)
                {
                    (region, var problem) = await client.LocateAsync(key, deadline).ConfigureAwait(false);
                    if (region is null)
                    {
                        _lastProblem = problem;
                        await backoff.WaitAsync(deadline).ConfigureAwait(false);
                    }
                }
                if (!groups.TryGetValue(region.Region.Id, out var group))
                {
                    groups[region.Region.Id] = group = (region, []);
                }
                group.Items.Add(item);
            }
            return groups;
        }

        /// <summary>Cuts one region's items into requests of at most MaxBatchKeys keys and MaxBatchBytes bytes
        /// (an item larger than that alone goes in a request of its own, for the store to judge).</summary>
        private IEnumerable<List<TItem>> Chunk(List<TItem> group)
        {
            var (maxKeys, maxBytes) = (Math.Max(1, client._options.MaxBatchKeys), client._options.MaxBatchBytes);
            var chunk = new List<TItem>();
            long bytes = 0;
            foreach (var item in group)
            {
                var size = bytesOf(item);
                if (chunk.Count > 0 && (chunk.Count == maxKeys || bytes + size > maxBytes))
                {
                    yield return chunk;
                    chunk = [];
                    bytes = 0;
                }
                chunk.Add(item);
                bytes += size;
            }
            if (chunk.Count > 0)
            {
                yield return chunk;
            }
        }

        private async Task SendAsync(CachedRegion region, List<TItem> chunk, Backoff backoff)
        {
            deadline.ThrowIfCancellationRequested();
            var target = region.Leader ?? FirstVoter(region.Region);
            RpcClient store;
            try
            {
                store = await client._stores.GetAsync(target.StoreId, deadline).ConfigureAwait(false);
            }
            catch (RpcConnectionException e)
            {
                await RetryElsewhereAsync(region, target, chunk, backoff, e).ConfigureAwait(false);
                return;
            }
            RegionError? error;
            try
            {
                error = await send(store, new RegionContext(region.Region.Id, region.Region.Epoch), chunk, deadline).ConfigureAwait(false);
            }
            catch (RpcRemoteException e) when (e.Status == RpcStatus.InvalidArgument)
            {
                throw new KvInvalidArgumentException(e.Message, e);
            }
            catch (Exception e) when (isWrite && e is RpcConnectionException or RpcTimeoutException or RpcRemoteException or OperationCanceledException)
            {
                // Sent (or maybe sent) without an answer: never re-sent.
                Interlocked.Add(ref _inDoubtKeys, chunk.Count);
                _lastProblem = $"store {target.StoreId}: {e.Message}";
                return;
            }
            catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException)
            {
                await RetryElsewhereAsync(region, target, chunk, backoff, e).ConfigureAwait(false);
                return;
            }
            catch (RpcRemoteException e)
            {
                _lastProblem = $"store {target.StoreId}: {e.Message}";
                await backoff.WaitAsync(deadline).ConfigureAwait(false);
                await RunAsync(chunk, backoff).ConfigureAwait(false);
                return;
            }
            if (error is null)
            {
                Interlocked.Add(ref _doneKeys, chunk.Count);
                return;
            }
            _lastProblem = $"region {region.Region.Id} on store {target.StoreId}: {error}";
            if (isWrite && error.Kind == RegionErrorKind.Timeout)
            {
                Interlocked.Add(ref _inDoubtKeys, chunk.Count);
                return;
            }
            await client.HandleRegionErrorAsync(error, region.Region, target, isWrite, backoff, deadline).ConfigureAwait(false);
            await RunAsync(chunk, backoff).ConfigureAwait(false);
        }

        /// <summary>The store could not be reached (or, for a read, did not answer): try the next voter.</summary>
        private async Task RetryElsewhereAsync(CachedRegion region, Protocol.Metadata.PeerInfo target, List<TItem> chunk, Backoff backoff, Exception e)
        {
            _lastProblem = $"store {target.StoreId}: {e.Message}";
            client._cache.SetLeader(region.Region.Id, NextVoter(region.Region, target));
            await backoff.WaitAsync(deadline).ConfigureAwait(false);
            await RunAsync(chunk, backoff).ConfigureAwait(false);
        }
    }
}
