using MultiRaft.Storage.Kv;

namespace MultiRaft.Storage.Txn;

public static partial class MvccActions
{
    /// <summary>
    /// Aborts transaction <paramref name="startTs"/> on every key: its lock and value go, and a rollback record
    /// stays — even where it never prewrote — so that a prewrite arriving late fails. A key where it already
    /// committed fails the whole command; one where it already rolled back is fine.
    /// </summary>
    public static List<TxnKeyError> Rollback(KvEngine kv, KvWriteBatch batch, IReadOnlyList<byte[]> keys, ulong startTs)
    {
        TxnArguments.CheckTargets(kv, batch);
        TxnArguments.CheckKeys(keys, kv.Options, nameof(keys));
        TxnArguments.CheckTimestamp(startTs, nameof(startTs));
        return AllOrNothing(kv, batch, keys, (view, key) =>
        {
            var txnKey = TxnKeys.Encode(key);
            return RollBackKey(view, batch, txnKey, OwnLock(view, key, txnKey, startTs), startTs) is { } commit
                ? TxnErrors.AlreadyCommitted(key, startTs, commit.CommitTs)
                : null;
        });
    }

    /// <summary>
    /// Decides transaction <paramref name="lockTs"/>'s fate from its primary key, as a reader blocked by one of its
    /// locks asks: Locked while its lock lives; once the lock's time to live has passed at
    /// <paramref name="currentTs"/> (in physical milliseconds), the transaction is rolled back. Without a lock,
    /// its recorded outcome; with no trace at all it is rolled back now, so that it can never commit.
    /// </summary>
    public static TxnStatus CheckTxnStatus(KvEngine kv, KvWriteBatch batch, byte[] primary, ulong lockTs, ulong currentTs)
    {
        TxnArguments.CheckTargets(kv, batch);
        KvArguments.CheckKey(primary, kv.Options, nameof(primary));
        TxnArguments.CheckTimestamp(lockTs, nameof(lockTs));

        using var view = new MvccView(kv);
        var txnKey = TxnKeys.Encode(primary);
        var ownLock = OwnLock(view, primary, txnKey, lockTs);
        if (ownLock is not null && !Expired(ownLock, currentTs))
        {
            return new TxnStatus(TxnStatusKind.Locked, Lock: ownLock);
        }
        return RollBackKey(view, batch, txnKey, ownLock, lockTs) is { } commit
            ? new TxnStatus(TxnStatusKind.Committed, commit.CommitTs)
            : new TxnStatus(TxnStatusKind.RolledBack);
    }

    /// <summary>
    /// Rolls transaction <paramref name="startTs"/> back on one key, given its lock there if it has one. Returns the
    /// commit record that forbids it, or null once rolled back (now, or by an earlier rollback).
    /// </summary>
    private static TxnWrite? RollBackKey(MvccView view, KvWriteBatch batch, byte[] txnKey, TxnLock? ownLock, ulong startTs)
    {
        if (ownLock is null && view.OutcomeOf(txnKey, startTs) is { } outcome)
        {
            return outcome.Kind == TxnWriteKind.Rollback ? null : outcome;
        }
        batch.RollBack(txnKey, startTs, ownLock, view.CanLeaveRollbackRecord(txnKey, startTs));
        return null;
    }

    /// <summary>Transaction <paramref name="startTs"/>'s lock on the key, or null (also when another transaction locks it).</summary>
    private static TxnLock? OwnLock(MvccView view, byte[] key, byte[] txnKey, ulong startTs) =>
        view.Lock(key, txnKey) is { } found && found.StartTs == startTs ? found : null;

    // The time to live counts from the lock's start ts, in PD's physical milliseconds.
    private static bool Expired(TxnLock txnLock, ulong currentTs)
    {
        var now = TxnTimestamp.PhysicalMs(currentTs);
        var born = TxnTimestamp.PhysicalMs(txnLock.StartTs);
        return now >= born && now - born >= txnLock.TtlMs;
    }
}
