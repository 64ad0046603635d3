using System.Buffers;
using MultiRaft.Storage.Kv;

namespace MultiRaft.Storage.Txn;

/// <summary>
/// The values of the lock and write column families, in the varint encoding of <see cref="ByteWriter"/>.
/// <code>
/// lock:  kind byte | start ts | ttl ms | length-prefixed primary key [| 'v' | length-prefixed short value]
/// write: kind byte | start ts                                        [| 'v' | length-prefixed short value]
/// </code>
/// (The locked key and the commit ts are in the column's key.) Both start alike, and a lock's kind is never
/// Rollback. The optional tagged field carries a Put's value of at most <see cref="MaxShortValueBytes"/> bytes, as
/// TiKV does: the lock holds it from prewrite, the write record from commit, and the data column family never does,
/// which saves a put, a delete and a read per key. A record whose fixed fields end the value has no short value
/// (an empty value is the tag and a zero length), so records written before short values read unchanged. They are
/// written on every prewrite and commit, so they carry no version byte; a later layout can tell itself apart by a
/// new kind or tag. Decoding rejects unknown kinds and tags, a short value on anything but a Put, truncation and
/// trailing bytes as corruption.
/// </summary>
internal static class TxnRecordCodec
{
    /// <summary>
    /// The longest Put value stored inside the lock and write records (TiKV's limit too); longer ones go to the
    /// data column family at the start ts. It keeps those records small: every read and conflict check walks them.
    /// </summary>
    public const int MaxShortValueBytes = 255;

    public const byte ShortValueTag = (byte)'v';

    /// <summary>The tag, the varint length (two bytes for 255) and the value.</summary>
    private const int MaxShortValueFieldBytes = 1 + 2 + MaxShortValueBytes;

    public const int MaxWriteBytes = 1 + ByteWriter.MaxVarUInt64Bytes + MaxShortValueFieldBytes;

    /// <summary>Whether a Put of <paramref name="value"/> keeps it in its lock and write records.</summary>
    public static bool IsShort(ReadOnlySpan<byte> value) => value.Length <= MaxShortValueBytes;

    /// <summary>The longest lock value a store with these limits writes.</summary>
    public static int MaxLockBytes(KvEngineOptions options) =>
        1 + (3 * ByteWriter.MaxVarUInt64Bytes) + options.MaxKeyBytes + MaxShortValueFieldBytes;

    public static byte[] EncodeLock(TxnLock txnLock)
    {
        var writer = new ArrayBufferWriter<byte>(24 + txnLock.Primary.Length + (txnLock.ShortValue?.Length ?? 0));
        ByteWriter.WriteByte(writer, (byte)txnLock.Kind);
        ByteWriter.WriteVarUInt64(writer, txnLock.StartTs);
        ByteWriter.WriteVarUInt64(writer, txnLock.TtlMs);
        ByteWriter.WriteLengthPrefixed(writer, txnLock.Primary);
        if (txnLock.ShortValue is { } value)
        {
            ByteWriter.WriteByte(writer, ShortValueTag);
            ByteWriter.WriteLengthPrefixed(writer, value);
        }
        return writer.WrittenSpan.ToArray();
    }

    /// <exception cref="StorageException">The value is not a lock.</exception>
    public static TxnLock DecodeLock(byte[] key, ReadOnlySpan<byte> value)
    {
        try
        {
            var reader = new ByteReader(value, "lock");
            var (kind, startTs) = ReadKindAndStartTs(ref reader);
            if (kind == TxnWriteKind.Rollback)
            {
                throw reader.Malformed("a lock cannot be a rollback");
            }
            var ttl = reader.ReadVarUInt64("ttl");
            var primary = reader.ReadLengthPrefixed("primary", reader.Remaining).ToArray();
            var shortValue = ReadShortValue(ref reader, kind);
            return new TxnLock(key, primary, startTs, ttl, (MutationKind)kind) { ShortValue = shortValue };
        }
        catch (InvalidDataException e)
        {
            throw Corrupt(e);
        }
    }

    /// <summary>
    /// Writes kind, start ts and the short value, if any, into <paramref name="destination"/> (at least
    /// <see cref="MaxWriteBytes"/>) and returns the bytes written.
    /// </summary>
    public static int EncodeWrite(TxnWriteKind kind, ulong startTs, byte[]? shortValue, Span<byte> destination)
    {
        destination[0] = (byte)kind;
        var length = 1 + ByteWriter.WriteVarUInt64(destination[1..], startTs);
        if (shortValue is not null)
        {
            destination[length++] = ShortValueTag;
            length += ByteWriter.WriteVarUInt64(destination[length..], (ulong)shortValue.Length);
            shortValue.CopyTo(destination[length..]);
            length += shortValue.Length;
        }
        return length;
    }

    /// <exception cref="StorageException">The value is not a write record.</exception>
    public static TxnWrite DecodeWrite(ulong commitTs, ReadOnlySpan<byte> value)
    {
        try
        {
            var reader = new ByteReader(value, "write record");
            var (kind, startTs) = ReadKindAndStartTs(ref reader);
            return new TxnWrite(commitTs, kind, startTs, ReadShortValue(ref reader, kind));
        }
        catch (InvalidDataException e)
        {
            throw Corrupt(e);
        }
    }

    // Both values start alike; a lock's kind is a MutationKind, whose values TxnWriteKind shares.
    private static (TxnWriteKind Kind, ulong StartTs) ReadKindAndStartTs(ref ByteReader reader)
    {
        var kind = (TxnWriteKind)reader.ReadByte("kind");
        if (!Enum.IsDefined(kind))
        {
            throw reader.Malformed($"unknown kind {(byte)kind}");
        }
        return (kind, reader.ReadVarUInt64("start ts"));
    }

    // Both values end alike: nothing, or the short value of a Put.
    private static byte[]? ReadShortValue(ref ByteReader reader, TxnWriteKind kind)
    {
        if (reader.Remaining == 0)
        {
            return null;
        }
        var tag = reader.ReadByte("field tag");
        if (tag != ShortValueTag)
        {
            throw reader.Malformed($"unknown field tag {tag}");
        }
        if (kind != TxnWriteKind.Put)
        {
            throw reader.Malformed($"a {kind} carries no value");
        }
        var value = reader.ReadLengthPrefixed("short value", MaxShortValueBytes).ToArray();
        reader.ExpectEnd();
        return value;
    }

    private static StorageException Corrupt(InvalidDataException e) => new($"a stored transaction record is corrupt: {e.Message}", e);
}
