using MultiRaft.Storage.Txn;

namespace MultiRaft.Storage.Kv;

/// <summary>
/// Estimates the bytes and keys of a user range across all its key spaces. Bytes come from RocksDB's approximate
/// sizes (SST files and memtables) of every range the user range covers. RocksDB has no per-range key count, so a
/// range's keys are its bytes times its column family's keys per byte ("rocksdb.estimate-num-keys" over the size
/// of the whole column family). Keys count raw keys and write records (one per committed version); transactional
/// values and locks add bytes only, as they shadow write records or are short-lived.
/// </summary>
internal static class ApproximateStats
{
    public static RangeStats Of(RocksAdapter db, ReadOnlySpan<byte> start, ReadOnlySpan<byte> end)
    {
        var rawBytes = db.ApproximateSize(KvColumn.Data, KvKeys.RawKey(start), KvKeys.RawRangeEnd(end));
        var (txnStart, txnEnd) = TxnKeys.Range(start, end);
        var valueBytes = db.ApproximateSize(KvColumn.Data, txnStart, txnEnd);
        var lockBytes = db.ApproximateSize(KvColumn.Lock, txnStart, txnEnd);
        var writeBytes = db.ApproximateSize(KvColumn.Write, txnStart, txnEnd);
        return new RangeStats(
            rawBytes + valueBytes + lockBytes + writeBytes,
            KeysIn(db, KvColumn.Data, rawBytes) + KeysIn(db, KvColumn.Write, writeBytes));
    }

    private static ulong KeysIn(RocksAdapter db, KvColumn column, ulong bytes)
    {
        var (columnStart, columnEnd) = KvKeys.WholeColumn();
        var columnBytes = db.ApproximateSize(column, columnStart, columnEnd);
        var columnKeys = db.EstimatedKeys(column);
        return bytes == 0 || columnBytes == 0 || columnKeys == 0
            ? 0
            : (ulong)Math.Ceiling((double)columnKeys * Math.Min(bytes, columnBytes) / columnBytes);
    }
}
