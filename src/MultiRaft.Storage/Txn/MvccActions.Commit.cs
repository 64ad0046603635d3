using MultiRaft.Storage.Kv;

namespace MultiRaft.Storage.Txn;

public static partial class MvccActions
{
    /// <summary>
    /// The second phase: turns transaction <paramref name="startTs"/>'s lock on every key into a write record at
    /// <paramref name="commitTs"/>. A key already committed by this transaction is fine (a retry); one where it was
    /// rolled back, or where it left neither lock nor outcome, fails the whole command.
    /// </summary>
    public static List<TxnKeyError> Commit(KvEngine kv, KvWriteBatch batch, IReadOnlyList<byte[]> keys, ulong startTs, ulong commitTs)
    {
        TxnArguments.CheckTargets(kv, batch);
        TxnArguments.CheckKeys(keys, kv.Options, nameof(keys));
        TxnArguments.CheckTimestamp(startTs, nameof(startTs));
        TxnArguments.CheckCommitTs(startTs, commitTs, nameof(commitTs));
        return AllOrNothing(kv, batch, keys, (view, key) => CommitKey(view, batch, key, startTs, commitTs));
    }

    private static TxnKeyError? CommitKey(MvccView view, KvWriteBatch batch, byte[] key, ulong startTs, ulong commitTs)
    {
        var txnKey = TxnKeys.Encode(key);
        if (OwnLock(view, key, txnKey, startTs) is { } own)
        {
            batch.CommitLock(txnKey, own, commitTs);
            return null;
        }
        return view.OutcomeOf(txnKey, startTs) switch
        {
            null => TxnErrors.LockNotFound(key, startTs),
            { Kind: TxnWriteKind.Rollback } => TxnErrors.AlreadyRolledBack(key, startTs),
            _ => null, // committed already: a retry
        };
    }

    /// <summary>
    /// Settles every lock transaction <paramref name="startTs"/> left in the user range [start, end) (empty end =
    /// +infinity), once its primary told its fate: commits them at <paramref name="commitTs"/>, or rolls them back
    /// when it is 0. Returns how many locks it settled.
    /// </summary>
    public static int ResolveLock(KvEngine kv, KvWriteBatch batch, byte[] start, byte[] end, ulong startTs, ulong commitTs)
    {
        TxnArguments.CheckTargets(kv, batch);
        KvArguments.CheckRange(start, end, kv.Options, nameof(start));
        TxnArguments.CheckTimestamp(startTs, nameof(startTs));
        if (commitTs != 0)
        {
            TxnArguments.CheckCommitTs(startTs, commitTs, nameof(commitTs));
        }

        var resolved = 0;
        using var view = new MvccView(kv);
        var (lower, upper) = TxnKeys.Range(start, end);
        using var locks = view.Iterate(KvColumn.Lock, lower, upper);
        for (; locks.Valid; locks.Next())
        {
            var txnKey = locks.Key.ToArray();
            var own = TxnRecordCodec.DecodeLock(TxnKeys.UserKey(txnKey), locks.Value);
            if (own.StartTs != startTs)
            {
                continue;
            }
            if (commitTs == 0)
            {
                RollBackKey(view, batch, txnKey, own, startTs);
            }
            else
            {
                batch.CommitLock(txnKey, own, commitTs);
            }
            resolved++;
        }
        return resolved;
    }
}
