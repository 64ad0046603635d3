using MultiRaft.Storage.Kv;

namespace MultiRaft.Storage.Txn;

/// <summary>
/// Percolator's write commands, applied at Raft apply time on every replica. Each reads the state left by the
/// commands applied before it (through one snapshot of <c>kv</c>) and stages its changes into <c>batch</c>; the
/// outcome depends on nothing else, so every replica stages the same. A command that fails on any key returns the
/// errors and stages nothing (<see cref="KvWriteBatch.BeginSavePoint"/>). Bad input — an empty or oversized key, a
/// duplicate key, inverted timestamps — throws <see cref="ArgumentException"/> before anything is read.
/// </summary>
public static partial class MvccActions
{
    /// <summary>
    /// The first phase of a commit: locks every key for transaction <paramref name="startTs"/> (and stores the
    /// values of its puts: a short one in the lock, a longer one in the data column family), unless someone committed a key after that ts, another transaction locks it, or this
    /// transaction was already rolled back there. A retry is harmless: keys this transaction already locked or
    /// committed are skipped.
    /// </summary>
    public static List<TxnKeyError> Prewrite(
        KvEngine kv, KvWriteBatch batch, IReadOnlyList<TxnMutation> mutations, byte[] primary, ulong startTs, ulong ttlMs)
    {
        TxnArguments.CheckTargets(kv, batch);
        TxnArguments.CheckMutations(mutations, kv.Options, nameof(mutations));
        KvArguments.CheckKey(primary, kv.Options, nameof(primary));
        TxnArguments.CheckTimestamp(startTs, nameof(startTs));
        return AllOrNothing(kv, batch, mutations, (view, mutation) => PrewriteKey(view, batch, mutation, primary, startTs, ttlMs));
    }

    /// <summary>
    /// Applies a command to each item through one view and keeps what it staged only if no item failed: a
    /// command's keys succeed or fail together, and every failure is reported at once.
    /// </summary>
    private static List<TxnKeyError> AllOrNothing<T>(
        KvEngine kv, KvWriteBatch batch, IReadOnlyList<T> items, Func<MvccView, T, TxnKeyError?> applyOne)
    {
        var errors = new List<TxnKeyError>();
        using var view = new MvccView(kv);
        using var savePoint = batch.BeginSavePoint();
        foreach (var item in items)
        {
            if (applyOne(view, item) is { } error)
            {
                errors.Add(error);
            }
        }
        if (errors.Count == 0)
        {
            savePoint.Keep();
        }
        return errors;
    }

    private static TxnKeyError? PrewriteKey(
        MvccView view, KvWriteBatch batch, TxnMutation mutation, byte[] primary, ulong startTs, ulong ttlMs)
    {
        var key = mutation.Key;
        var txnKey = TxnKeys.Encode(key);
        // Percolator's check of the write records at or after the start ts. Others' rollbacks do not conflict:
        // they only keep their own transactions out.
        TxnWrite? conflict = null;
        foreach (var write in view.WritesSince(txnKey, startTs))
        {
            if (write.StartTs == startTs)
            {
                // This transaction's own outcome: rolled back (too late to prewrite) or committed (a retry: done).
                return write.Kind == TxnWriteKind.Rollback ? TxnErrors.AlreadyRolledBack(key, startTs) : null;
            }
            if (conflict is null && write.Kind != TxnWriteKind.Rollback)
            {
                conflict = write;
            }
        }
        if (conflict is { } newer)
        {
            return TxnErrors.WriteConflict(key, startTs, newer);
        }
        if (view.Lock(key, txnKey) is { } existing)
        {
            // This transaction's lock means a retried prewrite: done.
            return existing.StartTs == startTs ? null : TxnErrors.Locked(key, existing);
        }
        // A short value travels inside the lock (and at commit the write record); a long one goes to the data column.
        var shortValue = mutation.Value is { } value && TxnRecordCodec.IsShort(value) ? value : null;
        var txnLock = new TxnLock(key, primary, startTs, ttlMs, mutation.Kind) { ShortValue = shortValue };
        batch.PutLock(txnLock, txnKey);
        if (txnLock.HasDataValue)
        {
            batch.PutTxnValue(txnKey, startTs, mutation.Value);
        }
        return null;
    }
}
