using MultiRaft.Protocol;
using MultiRaft.Protocol.Kv;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Client;

/// <summary>
/// Natural batching of single-key requests, the way a group commit batches fsyncs: while a few requests to one
/// store are already in flight, more requests to it wait, and when one comes back everything that waited goes
/// out as one request (its items grouped by region, each region's group one part). An idle store costs no
/// added latency; a busy one gets far fewer, larger requests, so each request's RPC, and each region's Raft
/// entry and apply work, is shared by many callers. Every caller gets its own item's answer: its region's error
/// (a region is one Raft group, so its part is applied whole or not at all), or its own result.
/// </summary>
internal sealed partial class RequestCoalescer<TItem, TResult>
{
    /// <summary>Sends one batch of items (of one or more regions) to a store; returns each item's region error
    /// or result, in order.</summary>
    public delegate Task<(RegionError? Error, TResult Result)[]> BatchSend(RpcClient store, List<(RegionContext Context, TItem Item)> items);

    private readonly Dictionary<ulong, Lane> _lanes = [];
    private readonly BatchSend _send;
    private readonly Func<TItem, long> _sizeOf;
    private readonly int _maxInflight;
    private readonly int _maxItems;
    private readonly long _maxBytes;

    /// <param name="sizeOf">An item's bytes in a request.</param>
    /// <param name="maxInflight">Batches in flight per store before callers start to wait.</param>
    /// <param name="maxItems">Items per batch; with <paramref name="maxBytes"/>, within the stores' batch limits
    /// (an item larger than that still goes, alone, for the store to judge).</param>
    public RequestCoalescer(BatchSend send, Func<TItem, long> sizeOf, int maxInflight, int maxItems, long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInflight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItems, 1);
        _send = send;
        _sizeOf = sizeOf;
        _maxInflight = maxInflight;
        _maxItems = maxItems;
        _maxBytes = maxBytes;
    }

    /// <summary>Sends <paramref name="item"/> to the region's leader on <paramref name="storeId"/>, alone or in a batch. A caller whose
    /// <paramref name="cancellation"/> fires stops waiting; its item may still be sent (for a write: an unknown
    /// outcome, which is what the caller reports on a deadline anyway).</summary>
    public Task<(RegionError? Error, TResult Result)> SubmitAsync(RpcClient store, RegionContext context, ulong storeId, TItem item, CancellationToken cancellation)
    {
        var waiter = new Waiter(store, context, item);
        waiter.StopWaitingOn(cancellation);
        List<Waiter>? sendNow = null;
        Lane lane;
        lock (_lanes)
        {
            if (!_lanes.TryGetValue(storeId, out lane!))
            {
                _lanes[storeId] = lane = new Lane(storeId);
            }
            if (lane.Inflight < _maxInflight)
            {
                lane.Inflight++;
                sendNow = [waiter];
            }
            else
            {
                lane.Pending.Add(waiter);
            }
        }
        if (sendNow is not null)
        {
            _ = SendAsync(lane, sendNow);
        }
        return waiter.Task;
    }

    private async Task SendAsync(Lane lane, List<Waiter> batch)
    {
        while (true)
        {
            await CompleteAsync(batch).ConfigureAwait(false);
            lock (_lanes)
            {
                if (lane.Pending.Count == 0)
                {
                    lane.Inflight--;
                    if (lane.Inflight == 0)
                    {
                        _lanes.Remove(lane.StoreId); // Idle: a store that is gone must not leave its lane behind.
                    }
                    return;
                }
                var take = 0;
                long bytes = 0;
                while (take < lane.Pending.Count && take < _maxItems && (take == 0 || bytes + _sizeOf(lane.Pending[take].Item) <= _maxBytes))
                {
                    bytes += _sizeOf(lane.Pending[take++].Item);
                }
                batch = lane.Pending.GetRange(0, take);
                lane.Pending.RemoveRange(0, take);
            }
        }
    }

    /// <summary>Sends one batch and hands each waiter its answer; a failed call fails every waiter alike.</summary>
    private async Task CompleteAsync(List<Waiter> batch)
    {
        (RegionError? Error, TResult Result)[]? answers = null;
        Exception? failure = null;
        try
        {
            answers = await _send(batch[0].Store, batch.ConvertAll(w => (w.Context, w.Item))).ConfigureAwait(false);
            if (answers.Length != batch.Count)
            {
                failure = new RpcRemoteException(RpcStatus.Internal, $"a batch answer with {answers.Length} items for {batch.Count}");
            }
        }
        catch (Exception e)
        {
            failure = e;
        }
        new Completion(batch, answers, failure).Run();
    }

    private sealed class Lane(ulong storeId)
    {
        public ulong StoreId { get; } = storeId;

        public int Inflight { get; set; }

        public List<Waiter> Pending { get; } = [];
    }
}
