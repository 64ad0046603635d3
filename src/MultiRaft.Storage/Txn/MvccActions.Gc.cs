using MultiRaft.Storage.Kv;

namespace MultiRaft.Storage.Txn;

public static partial class MvccActions
{
    /// <summary>
    /// Collects the versions no read at or above <paramref name="safePoint"/> can see, for at most
    /// <paramref name="maxKeys"/> user keys of [start, end) (empty end = +infinity). Per key, among the write records
    /// committed at or below the safe point: the newest Put stays with its value (the one such a read finds); a
    /// newest Delete goes (such a read finds nothing either way); everything older goes, and Lock and Rollback
    /// records go. Records above the safe point stay. The store-wide GC safe point is raised in the same batch, so
    /// that reads below it fail with TooOld from then on. Locks are left alone: resolve them first.
    /// </summary>
    public static GcResult Gc(KvEngine kv, KvWriteBatch batch, byte[] start, byte[] end, ulong safePoint, int maxKeys)
    {
        ArgumentNullException.ThrowIfNull(kv);
        ArgumentNullException.ThrowIfNull(batch);
        KvArguments.CheckRange(start, end, kv.Options, nameof(start));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeys, 1);

        batch.SetGcSafePoint(Math.Max(safePoint, kv.GcSafePoint));
        var deleted = 0;
        var keys = 0;
        using var view = new MvccView(kv);
        var (lower, upper) = TxnKeys.Range(start, end);
        using var writes = view.Iterate(KvColumn.Write, lower, upper);
        while (writes.Valid)
        {
            var txnKey = TxnKeys.TxnKeyOf(writes.Key).ToArray();
            if (keys == maxKeys)
            {
                return new GcResult(deleted, TxnKeys.UserKey(txnKey));
            }
            keys++;
            deleted += CollectKey(batch, writes, txnKey, safePoint);
        }
        return new GcResult(deleted, null);
    }

    /// <summary>Collects one key's versions; leaves <paramref name="writes"/> on the next key's first record.</summary>
    private static int CollectKey(KvWriteBatch batch, RocksAdapter.Cursor writes, byte[] txnKey, ulong safePoint)
    {
        var deleted = 0;
        var settled = false; // whether the newest Put or Delete at or below the safe point has been passed
        for (writes.Seek(TxnKeys.Versioned(txnKey, safePoint)); writes.Valid && MvccView.IsVersionOf(writes.Key, txnKey); writes.Next())
        {
            var write = MvccView.Current(writes);
            if (!settled && write.IsDataChange)
            {
                settled = true;
                if (write.Kind == TxnWriteKind.Put)
                {
                    continue;
                }
            }
            batch.DeleteWrite(txnKey, write.CommitTs);
            if (write.HasDataValue)
            {
                batch.DeleteTxnValue(txnKey, write.StartTs);
            }
            deleted++;
        }
        return deleted;
    }
}
