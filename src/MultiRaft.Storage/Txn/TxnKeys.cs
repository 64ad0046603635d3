using System.Buffers.Binary;
using MultiRaft.Storage.Kv;

namespace MultiRaft.Storage.Txn;

/// <summary>
/// Encodes the transactional key space (layout in <see cref="KvKeys"/>). A "txn key" is 't' + memcomparable(user
/// key): the whole key in the lock column family, and the prefix of every version of that user key in the data and
/// write column families, which append the inverted big-endian timestamp. Because the memcomparable encoding is
/// prefix-free, the keys that start with a txn key are exactly the versions of that user key.
/// </summary>
internal static class TxnKeys
{
    public const int TimestampBytes = sizeof(ulong);

    /// <summary>The column families that hold txn keys: values, locks and write records.</summary>
    public static readonly KvColumn[] Columns = [KvColumn.Data, KvColumn.Lock, KvColumn.Write];

    /// <summary>Whether the keys of <paramref name="column"/> carry a timestamp (all but the locks).</summary>
    public static bool IsVersioned(KvColumn column) => column != KvColumn.Lock;

    public static byte[] Encode(ReadOnlySpan<byte> userKey)
    {
        var key = new byte[1 + MemComparable.EncodedLength(userKey.Length)];
        key[0] = KvKeys.TxnPrefix;
        MemComparable.Encode(userKey, key.AsSpan(1));
        return key;
    }

    /// <summary>The txn key of the longest user key the options allow, plus a timestamp.</summary>
    public static int MaxVersionedLength(KvEngineOptions options) =>
        1 + MemComparable.EncodedLength(options.MaxKeyBytes) + TimestampBytes;

    /// <summary>Writes txn key + BE(~ts) into <paramref name="destination"/> and returns the bytes written.</summary>
    public static int WriteVersioned(ReadOnlySpan<byte> txnKey, ulong ts, Span<byte> destination)
    {
        txnKey.CopyTo(destination);
        BinaryPrimitives.WriteUInt64BigEndian(destination[txnKey.Length..], ~ts);
        return txnKey.Length + TimestampBytes;
    }

    public static byte[] Versioned(ReadOnlySpan<byte> txnKey, ulong ts)
    {
        var key = new byte[txnKey.Length + TimestampBytes];
        WriteVersioned(txnKey, ts, key);
        return key;
    }

    /// <summary>
    /// The first key past every version of <paramref name="txnKey"/>: its last byte plus one. That byte is the
    /// marker of the last memcomparable group, at most 0xFE, so the increment never carries.
    /// </summary>
    public static byte[] VersionsEnd(ReadOnlySpan<byte> txnKey)
    {
        var end = txnKey.ToArray();
        end[^1]++;
        return end;
    }

    /// <summary>Bounds of a user range [start, end) (empty end = +infinity) in the txn key space of any column.</summary>
    public static (byte[] Start, byte[] End) Range(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end) =>
        (Encode(start), end.IsEmpty ? [KvKeys.TxnPrefix + 1] : Encode(end));

    /// <summary>The txn key part of a versioned key (data or write column family).</summary>
    /// <exception cref="StorageException">The key is too short to hold a txn key and a timestamp.</exception>
    public static ReadOnlySpan<byte> TxnKeyOf(ReadOnlySpan<byte> versionedKey) =>
        versionedKey.Length > 1 + TimestampBytes
            ? versionedKey[..^TimestampBytes]
            : throw new StorageException($"a versioned key of {versionedKey.Length} bytes has no room for a timestamp");

    public static ulong TimestampOf(ReadOnlySpan<byte> versionedKey) =>
        ~BinaryPrimitives.ReadUInt64BigEndian(versionedKey[^TimestampBytes..]);

    /// <summary>The user key of a txn key.</summary>
    /// <exception cref="StorageException">The bytes are not a txn key.</exception>
    public static byte[] UserKey(ReadOnlySpan<byte> txnKey) =>
        !txnKey.IsEmpty && txnKey[0] == KvKeys.TxnPrefix
            ? MemComparable.Decode(txnKey[1..])
            : throw new StorageException("a stored key lacks the transactional key prefix");

}
