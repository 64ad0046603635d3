using System.Buffers.Binary;
using MultiRaft.Storage.Txn;

namespace MultiRaft.Storage.Kv;

/// <summary>
/// How keys are laid out in the RocksDB column families. Every stored key starts with a one-byte prefix naming its
/// key space, so that new key spaces can be added beside the existing ones without rewriting any stored key.
/// <code>
/// column family "data" (ordered user data)
///   'r' (0x72) + user key                               raw key space: the value of a raw put, the key verbatim
///   't' (0x74) + memcomparable(user key) + BE(~ts)      Percolator: the value a Put wrote at its start_ts, only
///                                                       if longer than TxnRecordCodec.MaxShortValueBytes (255)
/// column family "lock" (Percolator)
///   't' (0x74) + memcomparable(user key)                the lock of an open transaction (TxnRecordCodec),
///                                                       with the value of a Put of at most 255 bytes
/// column family "write" (Percolator)
///   't' (0x74) + memcomparable(user key) + BE(~ts)      the write record at commit_ts: kind and start_ts, and
///                                                       a Put's value of at most 255 bytes, copied from its lock
///                                                       (a rollback record sits at its own start_ts)
/// column family "meta" (per-region bookkeeping)
///   0x00 ...                                            store-wide keys:
///   0x00 0x01 + BE u64 safe point                         the GC safe point: the largest such key counts
///   0x01 + BE u64 region id                             RegionLocalState
///   0x02 + BE u64 region id                             ApplyState
/// </code>
/// Why this shape:
/// - Raw keys need no escaping: nothing follows the user key, and one prefix byte preserves the user order.
///   Transactional keys are followed by a timestamp, so they need a memcomparable (escaped, prefix-free) user key
///   (<see cref="MemComparable"/>, <see cref="TxnKeys"/>); putting them under their own prefix keeps both
///   key spaces ordered and lets a region's range be cleared per prefix.
/// - Short values live inside the lock and write records, as in TiKV: a transactional key then costs one record
///   per column family it touches instead of two, and a read finds the value in the write record it seeks anyway.
/// - The timestamp is stored inverted (~ts, big-endian) so that the newest version of a key sorts first.
/// - Meta keys use big-endian region ids so that all regions' states sort by id and one prefix scan lists them.
///   Region state and apply state use separate prefixes because they change at very different rates.
/// - The GC safe point is a key per value, not a value under one key: writers that race can each only add a
///   larger key and range-delete the smaller ones, so the stored maximum never goes back.
/// Prefix 0xFF is never used, so [0x00, 0xFF) spans a whole column family.
/// A user range [start, end) with an empty end meaning +infinity maps to [prefix + start, prefix + end), or to
/// [prefix + start, prefix + 1) when end is empty: the first key past every key that carries the prefix. In the
/// txn key space start and end are memcomparable-encoded, which keeps their order.
/// </summary>
internal static class KvKeys
{
    public const byte RawPrefix = (byte)'r';
    public const byte TxnPrefix = (byte)'t';
    public const byte StoreWidePrefix = 0x00;
    public const byte GcSafePointTag = 0x01;
    public const byte RegionStatePrefix = 0x01;
    public const byte ApplyStatePrefix = 0x02;

    private const int MetaKeyLength = 1 + sizeof(ulong);

    /// <summary>Writes 'r' + user key into <paramref name="destination"/> and returns the bytes written.</summary>
    public static int WriteRawKey(ReadOnlySpan<byte> userKey, Span<byte> destination)
    {
        destination[0] = RawPrefix;
        userKey.CopyTo(destination[1..]);
        return userKey.Length + 1;
    }

    /// <summary>'r' + user key; also the inclusive lower bound of a user range starting at that key.</summary>
    public static byte[] RawKey(ReadOnlySpan<byte> userKey)
    {
        var key = new byte[userKey.Length + 1];
        WriteRawKey(userKey, key);
        return key;
    }

    /// <summary>The upper bound of a user range in the raw key space (exclusive); empty end = +infinity.</summary>
    public static byte[] RawRangeEnd(ReadOnlySpan<byte> end) => end.IsEmpty ? [RawPrefix + 1] : RawKey(end);

    /// <summary>Strips the key-space prefix of a raw data key.</summary>
    public static ReadOnlySpan<byte> UserKey(ReadOnlySpan<byte> rawKey) => rawKey[1..];

    /// <summary>Bounds of everything a column family holds (no key space uses prefix 0xFF).</summary>
    public static (byte[] Start, byte[] End) WholeColumn() => ([0x00], [0xFF]);

    /// <summary>
    /// Every (column family, bounds) that holds keys of the user range [start, end): the raw and the txn key spaces
    /// of the data column family, the locks and the write records. Clearing, exporting or importing a region's data
    /// walks exactly these, in this order (ascending column family, then ascending key).
    /// </summary>
    public static List<(KvColumn Column, byte[] Start, byte[] End)> RegionRanges(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end)
    {
        var ranges = new List<(KvColumn, byte[], byte[])>(1 + TxnKeys.Columns.Length) { (KvColumn.Data, RawKey(start), RawRangeEnd(end)) };
        var (txnStart, txnEnd) = TxnKeys.Range(start, end);
        foreach (var column in TxnKeys.Columns)
        {
            ranges.Add((column, txnStart, txnEnd));
        }
        return ranges;
    }

    /// <summary>The key that records GC safe point <paramref name="safePoint"/> (see the layout above).</summary>
    public static byte[] GcSafePointKey(ulong safePoint)
    {
        var key = new byte[2 + sizeof(ulong)];
        key[0] = StoreWidePrefix;
        key[1] = GcSafePointTag;
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(2), safePoint);
        return key;
    }

    /// <summary>Bounds [0x00 0x01, 0x00 0x02) of every GC safe point key.</summary>
    public static (byte[] Start, byte[] End) GcSafePointKeys() => ([StoreWidePrefix, GcSafePointTag], [StoreWidePrefix, GcSafePointTag + 1]);

    /// <summary>The safe point a GC safe point key records, or an exception naming the bad key.</summary>
    public static ulong GcSafePointOf(ReadOnlySpan<byte> metaKey) =>
        metaKey.Length == 2 + sizeof(ulong)
            ? BinaryPrimitives.ReadUInt64BigEndian(metaKey[2..])
            : throw new StorageException($"meta key of {metaKey.Length} bytes is not a GC safe point key");

    public static byte[] RegionStateKey(ulong regionId) => MetaKey(RegionStatePrefix, regionId);

    public static byte[] ApplyStateKey(ulong regionId) => MetaKey(ApplyStatePrefix, regionId);

    /// <summary>Bounds [prefix, prefix + 1) of every region state key, for listing all regions.</summary>
    public static (byte[] Start, byte[] End) RegionStateKeys() => ([RegionStatePrefix], [RegionStatePrefix + 1]);

    /// <summary>The region id of a meta key, or an exception naming the bad key.</summary>
    public static ulong RegionIdOf(ReadOnlySpan<byte> metaKey) =>
        metaKey.Length == MetaKeyLength
            ? BinaryPrimitives.ReadUInt64BigEndian(metaKey[1..])
            : throw new StorageException($"meta key of {metaKey.Length} bytes is not a region key");

    private static byte[] MetaKey(byte prefix, ulong regionId)
    {
        var key = new byte[MetaKeyLength];
        key[0] = prefix;
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(1), regionId);
        return key;
    }
}
