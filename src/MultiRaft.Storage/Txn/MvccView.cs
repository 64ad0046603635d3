using MultiRaft.Storage.Kv;

namespace MultiRaft.Storage.Txn;

/// <summary>
/// The multi-version state of keys as one RocksDB snapshot sees it: locks, write records and values always agree
/// with each other, even while other writes land. Keys are txn keys (<see cref="TxnKeys"/>). One view serves one
/// command or read; not thread-safe.
/// </summary>
internal sealed class MvccView : IDisposable
{
    private readonly RocksAdapter _db;
    private readonly RocksAdapter.View _snapshot;

    // Over the whole txn key space of the write column family; every lookup seeks it.
    private readonly RocksAdapter.Cursor _writes;

    public MvccView(KvEngine kv)
    {
        _db = kv.Db;
        _snapshot = _db.TakeSnapshot();
        _writes = _db.Unpositioned(KvColumn.Write, [KvKeys.TxnPrefix], [KvKeys.TxnPrefix + 1], _snapshot);
    }

    /// <summary>A cursor over [lower, upper) of <paramref name="column"/> in this view.</summary>
    public RocksAdapter.Cursor Iterate(KvColumn column, byte[] lower, byte[] upper) => _db.Iterate(column, lower, upper, _snapshot);

    public TxnLock? Lock(byte[] userKey, byte[] txnKey) =>
        _db.Get(KvColumn.Lock, txnKey, _snapshot) is { } value ? TxnRecordCodec.DecodeLock(userKey, value) : null;

    /// <summary>
    /// The value at <paramref name="readTs"/>: that of the newest Put or Delete committed at or before it, from the
    /// write record when short, else from the data column family.
    /// </summary>
    public byte[]? VisibleValue(ReadOnlySpan<byte> txnKey, ulong readTs)
    {
        for (_writes.Seek(TxnKeys.Versioned(txnKey, readTs)); OnVersionOf(txnKey); _writes.Next())
        {
            var write = Current(_writes);
            if (write.IsDataChange)
            {
                return write.Kind == TxnWriteKind.Put ? write.ShortValue ?? Value(txnKey, write.StartTs) : null;
            }
        }
        return null;
    }

    /// <summary>The write records committed at or after <paramref name="minCommitTs"/>, newest first.</summary>
    public List<TxnWrite> WritesSince(ReadOnlySpan<byte> txnKey, ulong minCommitTs)
    {
        var writes = new List<TxnWrite>();
        for (_writes.Seek(txnKey); OnVersionOf(txnKey); _writes.Next())
        {
            var write = Current(_writes);
            if (write.CommitTs < minCommitTs)
            {
                break;
            }
            writes.Add(write);
        }
        return writes;
    }

    /// <summary>
    /// The record of transaction <paramref name="startTs"/>'s outcome on the key: its commit (at a later ts) or its
    /// rollback (at the start ts itself), or null while it is open or was never here.
    /// </summary>
    public TxnWrite? OutcomeOf(ReadOnlySpan<byte> txnKey, ulong startTs)
    {
        foreach (var write in WritesSince(txnKey, startTs))
        {
            if (write.StartTs == startTs)
            {
                return write;
            }
        }
        return null;
    }

    /// <summary>
    /// Whether a rollback record of <paramref name="startTs"/> may be written: not if a record already sits at that
    /// timestamp. That is this transaction's own outcome, or — only where timestamps are not unique — another
    /// transaction's commit, which must not be overwritten and already makes a late prewrite fail as a conflict.
    /// </summary>
    public bool CanLeaveRollbackRecord(ReadOnlySpan<byte> txnKey, ulong startTs) =>
        _db.Get(KvColumn.Write, TxnKeys.Versioned(txnKey, startTs), _snapshot) is null;

    /// <summary>Whether <paramref name="key"/> (of the write or data column family) is a version of <paramref name="txnKey"/>.</summary>
    public static bool IsVersionOf(ReadOnlySpan<byte> key, ReadOnlySpan<byte> txnKey) =>
        key.Length == txnKey.Length + TxnKeys.TimestampBytes && key.StartsWith(txnKey);

    /// <summary>The write record under <paramref name="cursor"/>.</summary>
    public static TxnWrite Current(RocksAdapter.Cursor cursor) =>
        TxnRecordCodec.DecodeWrite(TxnKeys.TimestampOf(cursor.Key), cursor.Value);

    public void Dispose()
    {
        _writes.Dispose();
        _snapshot.Dispose();
    }

    /// <summary>The value a Put of transaction <paramref name="startTs"/> left in the data column family (not a short one).</summary>
    /// <exception cref="StorageException">It is missing although a write record names it.</exception>
    private byte[] Value(ReadOnlySpan<byte> txnKey, ulong startTs) =>
        _db.Get(KvColumn.Data, TxnKeys.Versioned(txnKey, startTs), _snapshot)
        ?? throw new StorageException($"the value written at {startTs} is missing although a write record names it");

    private bool OnVersionOf(ReadOnlySpan<byte> txnKey) => _writes.Valid && IsVersionOf(_writes.Key, txnKey);
}
