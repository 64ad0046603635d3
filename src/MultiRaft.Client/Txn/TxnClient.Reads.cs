using MultiRaft.Protocol;
using System.Collections.Concurrent;
using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Txn;

namespace MultiRaft.Client.Txn;

/// <summary>Snapshot reads at a timestamp. A lock in the way is resolved through its primary (committed or
/// rolled back, if its transaction is over) and the read is repeated; a lock of a running transaction is
/// waited out with backoff, up to the client's deadline.</summary>
public sealed partial class TxnClient
{
    internal async Task<byte[]?> GetAsync(byte[] key, ulong readTs, CancellationToken cancellation)
    {
        using var deadline = Deadline(cancellation);
        Backoff? backoff = null;
        try
        {
            while (true)
            {
                var answer = await _raw.RunAsync(key, isWrite: false, async (store, region, context, token) =>
                {
                    var reply = await _raw.CallAsync<TxnGetRequest, TxnReadResponse>(store, TxnMethods.Get, new TxnGetRequest(context, key, readTs), token).ConfigureAwait(false);
                    return (reply.Error, reply);
                }, deadline.Token).ConfigureAwait(false);
                ThrowOnKeyError(answer.KeyError);
                if (answer.Locks.Length == 0)
                {
                    return answer.Pairs.Length > 0 ? answer.Pairs[0].Value : null;
                }
                backoff = await ResolveOrWaitAsync(answer.Locks, backoff, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw LockedTooLong("get");
        }
    }

    /// <summary>The values of <paramref name="keys"/> that exist at <paramref name="readTs"/>.</summary>
    internal async Task<Dictionary<byte[], byte[]>> BatchGetAsync(IEnumerable<byte[]> keys, ulong readTs, CancellationToken cancellation)
    {
        using var deadline = Deadline(cancellation);
        var found = new ConcurrentDictionary<byte[], byte[]>(ByteArrayComparer.Instance);
        var pending = keys.Distinct(ByteArrayComparer.Instance).ToList();
        Backoff? backoff = null;
        try
        {
            while (pending.Count > 0)
            {
                var locks = new ConcurrentBag<LockInfo>();
                KeyError? keyError = null;
                await _raw.RunBatchAsync(pending, k => k, k => k.Length, isWrite: false, async (store, context, chunk, token) =>
                {
                    var reply = await _raw.CallAsync<TxnBatchGetRequest, TxnReadResponse>(
                        store, TxnMethods.BatchGet, new TxnBatchGetRequest(context, [.. chunk], readTs), token).ConfigureAwait(false);
                    if (reply.Error is null)
                    {
                        foreach (var pair in reply.Pairs)
                        {
                            found[pair.Key] = pair.Value;
                        }
                        foreach (var txnLock in reply.Locks)
                        {
                            locks.Add(txnLock);
                        }
                        keyError ??= reply.KeyError;
                    }
                    return reply.Error;
                }, "transactional batch get", deadline.Token).ConfigureAwait(false);
                ThrowOnKeyError(keyError);
                if (locks.IsEmpty)
                {
                    break;
                }
                pending = [.. locks.Select(l => l.Key)];
                backoff = await ResolveOrWaitAsync(locks, backoff, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw LockedTooLong("batch get");
        }
        return new Dictionary<byte[], byte[]>(found, ByteArrayComparer.Instance);
    }

    /// <summary>Up to <paramref name="limit"/> pairs of [start, end) at <paramref name="readTs"/>, region by region.</summary>
    internal async Task<List<KvEntry>> ScanAsync(byte[] start, byte[] end, int limit, ulong readTs, CancellationToken cancellation)
    {
        using var deadline = Deadline(cancellation);
        var pairs = new List<KvEntry>();
        var from = start.Length == 0 ? [0] : start;
        Backoff? backoff = null;
        try
        {
            while (pairs.Count < limit)
            {
                var want = Math.Min(limit - pairs.Count, Options.Raw.MaxBatchKeys);
                var (answer, regionEnd) = await _raw.RunAsync(from, isWrite: false, async (store, region, context, token) =>
                {
                    var reply = await _raw.CallAsync<TxnScanRequest, TxnReadResponse>(
                        store, TxnMethods.Scan, new TxnScanRequest(context, from, end, want, readTs), token).ConfigureAwait(false);
                    return (reply.Error, (reply, region.Region.EndKey));
                }, deadline.Token).ConfigureAwait(false);
                ThrowOnKeyError(answer.KeyError);
                if (answer.Locks.Length > 0)
                {
                    backoff = await ResolveOrWaitAsync(answer.Locks, backoff, deadline.Token).ConfigureAwait(false);
                    continue; // The same stretch again, now that the locks are out of the way.
                }
                pairs.AddRange(answer.Pairs);
                if (answer.Pairs.Length == want)
                {
                    from = [.. answer.Pairs[^1].Key, 0]; // The smallest key after the last one returned.
                    continue;
                }
                if (regionEnd.Length == 0 || (end.Length > 0 && end.AsSpan().SequenceCompareTo(regionEnd) <= 0))
                {
                    break;
                }
                from = regionEnd;
            }
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw LockedTooLong("scan");
        }
        return pairs;
    }

    private async Task<Backoff?> ResolveOrWaitAsync(IEnumerable<LockInfo> locks, Backoff? backoff, CancellationToken cancellation)
    {
        if (!await _resolver.ResolveAsync(locks, cancellation).ConfigureAwait(false))
        {
            backoff ??= new Backoff(Options.Raw.BackoffMin, Options.Raw.BackoffMax);
            await backoff.WaitAsync(cancellation).ConfigureAwait(false);
        }
        return backoff;
    }

    private CancellationTokenSource Deadline(CancellationToken cancellation)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(Options.Raw.Timeout);
        return deadline;
    }

    private KvTimeoutException LockedTooLong(string what) =>
        new($"transactional {what}: keys stayed locked by a running transaction for {Options.Raw.Timeout.TotalSeconds:0.#} s");

    internal static void ThrowOnKeyError(KeyError? error)
    {
        if (error is not null)
        {
            throw new TxnConflictException($"{error.Kind} on key {Convert.ToHexString(error.Key)}: {error.Message}");
        }
    }
}
