using MultiRaft.Storage.Kv;

namespace MultiRaft.Storage.Txn;

/// <summary>
/// Snapshot reads of transactional data at a read timestamp: a key's value is the one its newest Put or Delete
/// committed at or before that ts left. A lock of a Put or Delete started at or before the read ts hides its key:
/// that transaction may still commit below the read ts, so the key lands in <see cref="TxnReadResult.Locks"/>
/// instead, for the caller to resolve before it reads again. Each call reads through one RocksDB snapshot.
/// Reads below the GC safe point fail with TooOld. Thread-safe.
/// </summary>
public sealed class MvccReader(KvEngine kv)
{
    private readonly KvEngine _kv = kv ?? throw new ArgumentNullException(nameof(kv));

    public TxnReadResult Get(byte[] key, ulong readTs) => BatchGet([key], readTs);

    /// <summary>The visible pairs of <paramref name="keys"/> in their order; absent keys are left out.</summary>
    public TxnReadResult BatchGet(IReadOnlyList<byte[]> keys, ulong readTs)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
        {
            KvArguments.CheckKey(key, _kv.Options, nameof(keys));
        }
        using var view = new MvccView(_kv);
        if (TooOld(keys.Count > 0 ? keys[0] : [], readTs) is { } tooOld)
        {
            return tooOld;
        }
        var result = new TxnReadResult([], []);
        foreach (var key in keys)
        {
            var txnKey = TxnKeys.Encode(key);
            if (view.Lock(key, txnKey) is { } txnLock && Blocks(txnLock, readTs))
            {
                result.Locks.Add(txnLock);
            }
            else if (view.VisibleValue(txnKey, readTs) is { } value)
            {
                result.Pairs.Add(new KvPair(key, value));
            }
        }
        return result;
    }

    /// <summary>
    /// Up to <paramref name="limit"/> visible pairs of [start, end) (empty end = +infinity) in ascending key order,
    /// and the locks that hid keys from the scan up to where it stopped.
    /// </summary>
    public TxnReadResult Scan(byte[] start, byte[] end, int limit, ulong readTs)
    {
        KvArguments.CheckRange(start, end, _kv.Options, nameof(start));
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        using var view = new MvccView(_kv);
        if (TooOld(start, readTs) is { } tooOld)
        {
            return tooOld;
        }
        var result = new TxnReadResult([], []);
        var (lower, upper) = TxnKeys.Range(start, end);
        using var locks = view.Iterate(KvColumn.Lock, lower, upper);
        using var writes = view.Iterate(KvColumn.Write, lower, upper);
        // Walks the union of the keys with a lock and the keys with write records, in order.
        while (result.Pairs.Count < limit && (locks.Valid || writes.Valid))
        {
            var order = !writes.Valid ? -1 : !locks.Valid ? 1 : locks.Key.SequenceCompareTo(TxnKeys.TxnKeyOf(writes.Key));
            var txnKey = (order <= 0 ? locks.Key : TxnKeys.TxnKeyOf(writes.Key)).ToArray();
            var userKey = TxnKeys.UserKey(txnKey);
            TxnLock? txnLock = null;
            if (order <= 0)
            {
                txnLock = TxnRecordCodec.DecodeLock(userKey, locks.Value);
                locks.Next();
            }
            if (order >= 0)
            {
                writes.Seek(TxnKeys.VersionsEnd(txnKey));
            }
            if (txnLock is not null && Blocks(txnLock, readTs))
            {
                result.Locks.Add(txnLock);
            }
            else if (order >= 0 && view.VisibleValue(txnKey, readTs) is { } value)
            {
                result.Pairs.Add(new KvPair(userKey, value));
            }
        }
        return result;
    }

    /// <summary>
    /// Up to <paramref name="limit"/> locks in [start, end) of transactions that started at or before
    /// <paramref name="maxTs"/>, in key order: what GC resolves before it drops versions below its safe point.
    /// </summary>
    public List<TxnLock> ScanLocks(byte[] start, byte[] end, ulong maxTs, int limit)
    {
        KvArguments.CheckRange(start, end, _kv.Options, nameof(start));
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        using var view = new MvccView(_kv);
        var (lower, upper) = TxnKeys.Range(start, end);
        using var cursor = view.Iterate(KvColumn.Lock, lower, upper);
        var locks = new List<TxnLock>();
        for (; locks.Count < limit && cursor.Valid; cursor.Next())
        {
            var txnLock = TxnRecordCodec.DecodeLock(TxnKeys.UserKey(cursor.Key.ToArray()), cursor.Value);
            if (txnLock.StartTs <= maxTs)
            {
                locks.Add(txnLock);
            }
        }
        return locks;
    }

    // Checked after the view was taken: the safe point only grows, and is raised before versions are collected.
    private TxnReadResult? TooOld(byte[] key, ulong readTs)
    {
        var safePoint = _kv.GcSafePoint;
        return readTs < safePoint ? new TxnReadResult([], [], TxnErrors.TooOld(key, readTs, safePoint)) : null;
    }

    // A Lock-kind lock changes no value; a lock started after the read ts commits after it too.
    private static bool Blocks(TxnLock txnLock, ulong readTs) => txnLock.Kind != MutationKind.Lock && txnLock.StartTs <= readTs;
}
