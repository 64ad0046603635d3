using MultiRaft.Protocol;
using System.Collections.Concurrent;
using MultiRaft.Protocol.Txn;

namespace MultiRaft.Client.Txn;

/// <summary>
/// Clears locks left in a reader's or writer's way. A lock's fate is its primary's: the resolver asks the
/// primary (CheckTxnStatus, which rolls back a primary whose TTL ran out), then commits or rolls back exactly
/// the locks it met, by key (TiKV's "resolve lock lite"). A transaction still alive is left alone.
/// Not the region-wide ResolveLock: that scans every lock record of the region on the store's apply thread,
/// the deletion marks of all locks settled since the last flush included, so its cost grows with the region's
/// write traffic; a profile of the txn benchmark found it taking most of the stores' apply time.
/// </summary>
internal sealed class LockResolver(RawKvClient raw, TsoBatcher tso)
{
    /// <summary>Decided transactions (start ts → commit ts, 0: rolled back): a decision never changes, and a
    /// reader that meets many locks of one transaction asks its primary once.</summary>
    private readonly ConcurrentDictionary<ulong, ulong> _decided = new();

    private const int MaxRemembered = 100_000;

    /// <summary>Resolves what can be resolved; false when a lock belongs to a transaction that is still running.</summary>
    public async Task<bool> ResolveAsync(IEnumerable<LockInfo> locks, CancellationToken cancellation)
    {
        var allResolved = true;
        foreach (var transaction in locks.GroupBy(l => l.StartTs))
        {
            var first = transaction.First();
            if (!_decided.TryGetValue(first.StartTs, out var commitTs))
            {
                var status = await CheckStatusAsync(first.Primary, first.StartTs, cancellation).ConfigureAwait(false);
                if (status.Status == TxnStatusKind.Locked)
                {
                    allResolved = false;
                    continue;
                }
                commitTs = status.Status == TxnStatusKind.Committed ? status.CommitTs : 0;
                Remember(first.StartTs, commitTs);
            }
            await SettleAsync([.. transaction.Select(l => l.Key).Distinct(ByteArrayComparer.Instance)], first.StartTs, commitTs, cancellation).ConfigureAwait(false);
        }
        return allResolved;
    }

    /// <summary>The fate of the transaction that started at <paramref name="startTs"/>, asked of its primary.</summary>
    public async Task<CheckTxnStatusResponse> CheckStatusAsync(byte[] primary, ulong startTs, CancellationToken cancellation)
    {
        var now = await tso.NextAsync(cancellation).ConfigureAwait(false);
        return await raw.RunAsync(primary, isWrite: false, async (store, region, context, token) =>
        {
            var answer = await raw.CallAsync<CheckTxnStatusRequest, CheckTxnStatusResponse>(
                store, TxnMethods.CheckTxnStatus, new CheckTxnStatusRequest(context, primary, startTs, now), token).ConfigureAwait(false);
            return (answer.Error, answer);
        }, cancellation).ConfigureAwait(false);
    }

    /// <summary>Commits (at <paramref name="commitTs"/>) or rolls back (0) the transaction's locks on
    /// <paramref name="keys"/>; when it returns, none of them is left.</summary>
    public async Task SettleAsync(List<byte[]> keys, ulong startTs, ulong commitTs, CancellationToken cancellation)
    {
        while (keys.Count > 0)
        {
            var settledBefore = new ConcurrentBag<byte[]>();
            await raw.RunBatchAsync(keys, k => k, k => k.Length, isWrite: false, async (store, context, chunk, token) =>
            {
                var reply = commitTs == 0
                    ? await raw.CallAsync<RollbackRequest, TxnWriteResponse>(
                        store, TxnMethods.Rollback, new RollbackRequest(context, [.. chunk], startTs), token).ConfigureAwait(false)
                    : await raw.CallAsync<CommitRequest, TxnWriteResponse>(
                        store, TxnMethods.Commit, new CommitRequest(context, [.. chunk], startTs, commitTs), token).ConfigureAwait(false);
                foreach (var error in reply.Errors ?? [])
                {
                    settledBefore.Add(error.Key);
                }
                return reply.Error;
            }, "resolve lock", cancellation).ConfigureAwait(false);
            // A key errs only where the transaction's lock is gone already (settled by someone else), and its
            // request, all or nothing, then settled none of its keys: the others go again (settling is idempotent).
            keys = settledBefore.IsEmpty ? [] : [.. keys.Except(settledBefore, ByteArrayComparer.Instance)];
        }
    }

    private void Remember(ulong startTs, ulong commitTs)
    {
        if (_decided.Count >= MaxRemembered)
        {
            _decided.Clear(); // Only a cache: forgetting costs a CheckTxnStatus, never correctness.
        }
        _decided[startTs] = commitTs;
    }
}
