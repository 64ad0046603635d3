using System.Buffers;
using MultiRaft.Storage.Kv;

namespace MultiRaft.Storage.Txn;

/// <summary>
/// The values of the lock and write column families, in the varint encoding of <see cref="ByteWriter"/>.
/// <code>
/// lock:  kind byte | start ts | ttl ms | length-prefixed primary key     (the locked key is the column's key)
/// write: kind byte | start ts                                            (the commit ts is in the column's key)
/// </code>
/// Both start alike, and a lock's kind is never Rollback. They are written on every prewrite and commit, so they
/// carry no version byte; a later layout can tell itself apart by a new kind. Decoding rejects unknown kinds,
/// truncation and trailing bytes as corruption.
/// </summary>
internal static class TxnRecordCodec
{
    public const int MaxWriteBytes = 1 + ByteWriter.MaxVarUInt64Bytes;

    /// <summary>The longest lock value a store with these limits writes.</summary>
    public static int MaxLockBytes(KvEngineOptions options) =>
        1 + (3 * ByteWriter.MaxVarUInt64Bytes) + options.MaxKeyBytes;

    public static byte[] EncodeLock(TxnLock txnLock)
    {
        var writer = new ArrayBufferWriter<byte>(24 + txnLock.Primary.Length);
        ByteWriter.WriteByte(writer, (byte)txnLock.Kind);
        ByteWriter.WriteVarUInt64(writer, txnLock.StartTs);
        ByteWriter.WriteVarUInt64(writer, txnLock.TtlMs);
        ByteWriter.WriteLengthPrefixed(writer, txnLock.Primary);
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
            reader.ExpectEnd();
            return new TxnLock(key, primary, startTs, ttl, (MutationKind)kind);
        }
        catch (InvalidDataException e)
        {
            throw Corrupt(e);
        }
    }

    /// <summary>Writes kind and start ts into <paramref name="destination"/> (at least <see cref="MaxWriteBytes"/>).</summary>
    public static int EncodeWrite(TxnWriteKind kind, ulong startTs, Span<byte> destination)
    {
        destination[0] = (byte)kind;
        return 1 + ByteWriter.WriteVarUInt64(destination[1..], startTs);
    }

    /// <exception cref="StorageException">The value is not a write record.</exception>
    public static TxnWrite DecodeWrite(ulong commitTs, ReadOnlySpan<byte> value)
    {
        try
        {
            var reader = new ByteReader(value, "write record");
            var (kind, startTs) = ReadKindAndStartTs(ref reader);
            reader.ExpectEnd();
            return new TxnWrite(commitTs, kind, startTs);
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

    private static StorageException Corrupt(InvalidDataException e) => new($"a stored transaction record is corrupt: {e.Message}", e);
}
