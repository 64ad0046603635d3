using MultiRaft.Storage.Txn;

namespace MultiRaft.Storage.Kv;

/// <summary>
/// Finds a split key of a user range by feeding <see cref="MiddleKeySampler"/> every user key of the range in
/// order: the raw keys merged with the transactional ones. All versions, the lock and the write records of a
/// transactional key count as one key with all their bytes (a split never falls between versions), and a key
/// present in both key spaces counts once.
/// </summary>
internal static class MiddleKey
{
    public static byte[]? Find(RocksAdapter db, ReadOnlySpan<byte> start, ReadOnlySpan<byte> end)
    {
        var sampler = new MiddleKeySampler();
        using var raw = db.Iterate(KvColumn.Data, KvKeys.RawKey(start), KvKeys.RawRangeEnd(end));
        using var txn = new TxnKeyStream(db, start, end);
        var hasTxn = txn.MoveNext();
        while (raw.Valid || hasTxn)
        {
            var order = !raw.Valid ? 1 : hasTxn ? KvKeys.UserKey(raw.Key).SequenceCompareTo(txn.UserKey) : -1;
            if (order > 0)
            {
                sampler.Add(txn.UserKey, txn.Bytes);
                hasTxn = txn.MoveNext();
                continue;
            }
            var key = KvKeys.UserKey(raw.Key);
            var bytes = key.Length + raw.Value.Length;
            if (order == 0)
            {
                bytes += txn.Bytes;
                hasTxn = txn.MoveNext();
            }
            sampler.Add(key, bytes);
            raw.Next();
        }
        return sampler.Middle();
    }
}
