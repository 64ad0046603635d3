using System.Collections.Concurrent;
using MultiRaft.Protocol.Txn;

namespace MultiRaft.Client.Txn;

/// <summary>
/// Clears locks left in a reader's or writer's way. A lock's fate is its primary's: the resolver asks the
/// primary (CheckTxnStatus, which rolls back a primary whose TTL ran out), then commits or rolls back the
/// transaction's locks in the regions where they were found. A transaction still alive is left alone.
/// </summary>
internal sealed class LockResolver(RawKvClient raw)
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
            await ResolveInRegionsAsync([.. transaction.Select(l => l.Key)], first.StartTs, commitTs, cancellation).ConfigureAwait(false);
        }
        return allResolved;
    }

    /// <summary>The fate of the transaction that started at <paramref name="startTs"/>, asked of its primary.</summary>
    public async Task<CheckTxnStatusResponse> CheckStatusAsync(byte[] primary, ulong startTs, CancellationToken cancellation)
    {
        var now = await raw.Pd.TsoAsync(1, cancellation).ConfigureAwait(false);
        return await raw.RunAsync(primary, isWrite: false, async (store, region, context, token) =>
        {
            var answer = await raw.CallAsync<CheckTxnStatusRequest, CheckTxnStatusResponse>(
                store, TxnMethods.CheckTxnStatus, new CheckTxnStatusRequest(context, primary, startTs, now), token).ConfigureAwait(false);
            return (answer.Error, answer);
        }, cancellation).ConfigureAwait(false);
    }

    /// <summary>Commits or rolls back every lock of the transaction in the regions holding <paramref name="keys"/>.</summary>
    private Task ResolveInRegionsAsync(List<byte[]> keys, ulong startTs, ulong commitTs, CancellationToken cancellation) =>
        raw.RunBatchAsync(keys, k => k, k => k.Length, isWrite: false, async (store, context, chunk, token) =>
        {
            var answer = await raw.CallAsync<ResolveLockRequest, ResolveLockResponse>(
                store, TxnMethods.ResolveLock, new ResolveLockRequest(context, startTs, commitTs), token).ConfigureAwait(false);
            return answer.Error;
        }, "resolve lock", cancellation);

    private void Remember(ulong startTs, ulong commitTs)
    {
        if (_decided.Count >= MaxRemembered)
        {
            _decided.Clear(); // Only a cache: forgetting costs a CheckTxnStatus, never correctness.
        }
        _decided[startTs] = commitTs;
    }
}
