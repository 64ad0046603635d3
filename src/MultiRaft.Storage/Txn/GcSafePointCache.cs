using MultiRaft.Storage.Kv;

namespace MultiRaft.Storage.Txn;

/// <summary>
/// The store-wide GC safe point: versions at or below it may have been collected, so reads below it are refused.
/// It only grows. The stored value is the largest safe point key in the meta column family (see <see cref="KvKeys"/>);
/// this cache holds it in memory and is raised <em>before</em> a batch that collects up to a new safe point is
/// written, so a reader that takes its RocksDB snapshot and then reads the cache never sees collected versions
/// under a safe point that still allows its read timestamp.
/// </summary>
internal sealed class GcSafePointCache
{
    private ulong _value;

    private GcSafePointCache(ulong value)
    {
        _value = value;
    }

    public ulong Current => Volatile.Read(ref _value);

    public static GcSafePointCache Load(RocksAdapter db)
    {
        ulong stored = 0;
        var (start, end) = KvKeys.GcSafePointKeys();
        using var cursor = db.Iterate(KvColumn.Meta, start, end);
        for (; cursor.Valid; cursor.Next())
        {
            stored = Math.Max(stored, KvKeys.GcSafePointOf(cursor.Key));
        }
        return new GcSafePointCache(stored);
    }

    /// <summary>Stages <paramref name="safePoint"/> as the stored safe point, dropping the smaller keys.</summary>
    public static void Stage(RocksAdapter.Batch batch, ulong safePoint)
    {
        batch.DeleteRange(KvColumn.Meta, KvKeys.GcSafePointKey(0), KvKeys.GcSafePointKey(safePoint));
        batch.Put(KvColumn.Meta, KvKeys.GcSafePointKey(safePoint), []);
    }

    public void Raise(ulong safePoint)
    {
        var current = Volatile.Read(ref _value);
        while (safePoint > current)
        {
            var seen = Interlocked.CompareExchange(ref _value, safePoint, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }
}
