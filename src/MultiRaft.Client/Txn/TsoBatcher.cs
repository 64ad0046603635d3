namespace MultiRaft.Client.Txn;

/// <summary>
/// Timestamps for many concurrent callers from few PD calls, as TiKV's PD client batches TSO requests: while
/// one call is in flight, callers queue; when it returns, one call reserves a timestamp for every caller that
/// queued (PD hands out consecutive timestamps, so one reservation serves them all). Without it every
/// transaction paid two PD round trips of its own (start and commit timestamps), each with its own RPC.
/// Invariant: a caller's timestamp comes from a call sent after the caller asked, so it is above every
/// timestamp handed out before it asked (a commit timestamp after its prewrite, a start after earlier
/// commits) — a call already in flight never serves a newcomer.
/// </summary>
internal sealed class TsoBatcher
{
    /// <summary>Timestamps one call reserves at most: within PD's per-call limit (10,000).</summary>
    public const int MaxBatch = 4_096;

    private readonly Func<int, CancellationToken, Task<ulong>> _reserve;
    private readonly Lock _lock = new();
    private List<TaskCompletionSource<ulong>> _queued = [];
    private bool _calling;

    /// <param name="reserve">Reserves <c>count</c> consecutive timestamps at PD and returns the last.</param>
    public TsoBatcher(Func<int, CancellationToken, Task<ulong>> reserve) => _reserve = reserve;

    /// <summary>A timestamp above every one handed out before this call. A caller whose
    /// <paramref name="cancellation"/> fires stops waiting; its timestamp, if reserved, is simply not used.</summary>
    public Task<ulong> NextAsync(CancellationToken cancellation)
    {
        var waiter = new TaskCompletionSource<ulong>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool startCalling;
        lock (_lock)
        {
            _queued.Add(waiter);
            startCalling = !_calling;
            _calling = true;
        }
        if (startCalling)
        {
            _ = CallWhileQueuedAsync();
        }
        return waiter.Task.WaitAsync(cancellation);
    }

    /// <summary>One PD call at a time, each for everyone queued when it is sent, until nobody waits.</summary>
    private async Task CallWhileQueuedAsync()
    {
        while (true)
        {
            List<TaskCompletionSource<ulong>> batch;
            lock (_lock)
            {
                if (_queued.Count == 0)
                {
                    _calling = false;
                    return;
                }
                if (_queued.Count <= MaxBatch)
                {
                    batch = _queued;
                    _queued = [];
                }
                else
                {
                    batch = _queued.GetRange(0, MaxBatch);
                    _queued.RemoveRange(0, MaxBatch);
                }
            }
            await ReserveForAsync(batch).ConfigureAwait(false);
        }
    }

    /// <summary>Hands each waiter one of the consecutive timestamps reserved, in queue order; a failed call
    /// fails them all (each caller decides, as with a call of its own, whether to try again).</summary>
    private async Task ReserveForAsync(List<TaskCompletionSource<ulong>> batch)
    {
        try
        {
            // Not cancelled by any one caller: the others wait for it. PD calls have their own deadline.
            var last = await _reserve(batch.Count, CancellationToken.None).ConfigureAwait(false);
            var first = last - (ulong)(batch.Count - 1);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].TrySetResult(first + (ulong)i);
            }
        }
        catch (Exception e)
        {
            foreach (var waiter in batch)
            {
                waiter.TrySetException(e);
            }
        }
    }
}
