using MultiRaft.Storage.Txn;

namespace MultiRaft.Storage.Kv;

/// <summary>
/// Staging of Percolator's records (<see cref="MvccActions"/>). Keys arrive as txn keys ('t' + memcomparable user
/// key, see <see cref="TxnKeys"/>), already checked by the action that stages them.
/// </summary>
public sealed partial class KvWriteBatch
{
    /// <summary>The largest GC safe point staged in this batch, 0 if none; the engine raises its cache to it.</summary>
    internal ulong StagedGcSafePoint { get; private set; }

    /// <summary>
    /// Starts a group of staged operations that is kept whole or not at all: disposing the returned save point
    /// drops everything staged since, unless <see cref="SavePoint.Keep"/> was called. A transactional command
    /// stages key after key and keeps them only when every key succeeded.
    /// </summary>
    internal SavePoint BeginSavePoint() => new(this);

    /// <summary>
    /// Stages the commit of <paramref name="txnLock"/> at <paramref name="commitTs"/>: a write record of the lock's
    /// kind, carrying its short value if it has one, and the lock gone.
    /// </summary>
    internal void CommitLock(ReadOnlySpan<byte> txnKey, TxnLock txnLock, ulong commitTs)
    {
        PutWrite(txnKey, commitTs, (TxnWriteKind)txnLock.Kind, txnLock.StartTs, txnLock.ShortValue);
        DeleteLock(txnKey);
    }

    /// <summary>
    /// Stages the rollback of transaction <paramref name="startTs"/> on a key: the lock it left (if given) and that
    /// lock's value go (a short value goes with the lock; only a longer one is deleted from the data column family),
    /// and a rollback record at the start ts stays so that a late prewrite fails — unless
    /// <paramref name="leaveRecord"/> is false because another transaction's record occupies that timestamp.
    /// </summary>
    internal void RollBack(ReadOnlySpan<byte> txnKey, ulong startTs, TxnLock? ownLock, bool leaveRecord)
    {
        if (ownLock is not null)
        {
            DeleteLock(txnKey);
            if (ownLock.HasDataValue)
            {
                DeleteTxnValue(txnKey, startTs);
            }
        }
        if (leaveRecord)
        {
            PutWrite(txnKey, startTs, TxnWriteKind.Rollback, startTs, shortValue: null);
        }
    }

    internal void PutLock(TxnLock txnLock, ReadOnlySpan<byte> txnKey) =>
        Native.Put(KvColumn.Lock, txnKey, TxnRecordCodec.EncodeLock(txnLock));

    internal void DeleteLock(ReadOnlySpan<byte> txnKey) => Native.Delete(KvColumn.Lock, txnKey);

    internal void PutTxnValue(ReadOnlySpan<byte> txnKey, ulong startTs, ReadOnlySpan<byte> value) =>
        Native.Put(KvColumn.Data, VersionedKey(txnKey, startTs), value);

    internal void DeleteTxnValue(ReadOnlySpan<byte> txnKey, ulong startTs) =>
        Native.Delete(KvColumn.Data, VersionedKey(txnKey, startTs));

    internal void PutWrite(ReadOnlySpan<byte> txnKey, ulong commitTs, TxnWriteKind kind, ulong startTs, byte[]? shortValue)
    {
        Span<byte> value = stackalloc byte[TxnRecordCodec.MaxWriteBytes];
        var length = TxnRecordCodec.EncodeWrite(kind, startTs, shortValue, value);
        Native.Put(KvColumn.Write, VersionedKey(txnKey, commitTs), value[..length]);
    }

    internal void DeleteWrite(ReadOnlySpan<byte> txnKey, ulong commitTs) =>
        Native.Delete(KvColumn.Write, VersionedKey(txnKey, commitTs));

    /// <summary>Records that versions up to <paramref name="safePoint"/> may be collected from now on.</summary>
    internal void SetGcSafePoint(ulong safePoint)
    {
        GcSafePointCache.Stage(Native, safePoint);
        StagedGcSafePoint = Math.Max(StagedGcSafePoint, safePoint);
    }

    private ReadOnlySpan<byte> VersionedKey(ReadOnlySpan<byte> txnKey, ulong ts)
    {
        var buffer = KeyBuffer(txnKey.Length + TxnKeys.TimestampBytes);
        return buffer[..TxnKeys.WriteVersioned(txnKey, ts, buffer)];
    }

    /// <summary>See <see cref="BeginSavePoint"/>.</summary>
    internal sealed class SavePoint : IDisposable
    {
        private readonly KvWriteBatch _batch;
        private readonly ulong _stagedGcSafePoint;
        private bool _closed;

        internal SavePoint(KvWriteBatch batch)
        {
            _batch = batch;
            _stagedGcSafePoint = batch.StagedGcSafePoint;
            batch.Native.SetSavePoint();
        }

        public void Keep()
        {
            if (!_closed)
            {
                _closed = true;
                _batch.Native.PopSavePoint();
            }
        }

        public void Dispose()
        {
            if (!_closed)
            {
                _closed = true;
                _batch.Native.RollbackToSavePoint();
                _batch.StagedGcSafePoint = _stagedGcSafePoint;
            }
        }
    }
}
