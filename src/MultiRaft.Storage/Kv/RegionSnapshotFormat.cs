using System.Buffers.Binary;
using System.IO.Hashing;
using MultiRaft.Storage.Txn;

namespace MultiRaft.Storage.Kv;

/// <summary>
/// The byte layout of a region snapshot stream. Integers in frames are little-endian; inside payloads they are
/// LEB128 varints.
/// <code>
/// stream := "MRKV" | format version (2) | header chunk | data chunk* | end chunk
/// chunk  := kind (1 byte) | payload length (u32) | payload | CRC-32 of kind, length and payload (u32)
/// header (kind 1): length-prefixed RegionLocalState | length-prefixed ApplyState   (MetaCodec encodings)
///                  | GC safe point (varint)
/// data   (kind 2): column family (1 byte) | (key length | stored key | value length | value)+
/// end    (kind 3): entry count (u64) | data bytes (u64) | CRC-64 of every stream byte before the end chunk (u64)
/// </code>
/// Data chunks carry the stored keys verbatim (key-space prefix included, <see cref="KvKeys"/>) of every range of
/// <see cref="KvKeys.RegionRanges"/>: raw and transactional values, locks, write records. Columns come in that
/// order and keys ascend within a column; every key lies inside the region's range. Data bytes count stored keys
/// and values. The GC safe point travels along because the values were collected up to it: the receiver must
/// refuse reads below it too.
/// Data payloads hold about <see cref="KvEngineOptions.SnapshotChunkBytes"/> (at most 1 MiB); an entry larger than
/// that travels alone. The per-chunk CRC catches a damaged chunk as soon as it arrives; the end chunk catches a
/// stream that lost, repeated or reordered whole chunks, or was cut short.
/// Version 1 streams (raw data only, no safe point) are refused as an unknown version.
/// </summary>
internal static class RegionSnapshotFormat
{
    public const byte Version = 2;
    public const int FrameHeaderBytes = 1 + sizeof(uint);
    public const int FrameTrailerBytes = sizeof(uint);
    public const int EndPayloadBytes = 3 * sizeof(ulong);

    public static ReadOnlySpan<byte> Magic => "MRKV"u8;

    /// <summary>Bytes one data entry takes in a chunk payload.</summary>
    public static int EntryBytes(int keyLength, int valueLength) =>
        ByteWriter.VarUInt64Size((ulong)keyLength) + keyLength + ByteWriter.VarUInt64Size((ulong)valueLength) + valueLength;

    /// <summary>The longest stored key a receiver with these limits accepts (a versioned txn key is the longest).</summary>
    public static int MaxKeyBytes(KvEngineOptions options) => TxnKeys.MaxVersionedLength(options);

    /// <summary>The longest value of <paramref name="column"/> a receiver with these limits accepts.</summary>
    public static int MaxValueBytes(KvColumn column, KvEngineOptions options) => column switch
    {
        KvColumn.Lock => TxnRecordCodec.MaxLockBytes(options),
        KvColumn.Write => TxnRecordCodec.MaxWriteBytes,
        _ => options.MaxValueBytes,
    };

    /// <summary>The largest payload a receiver with these limits accepts: a full chunk or one maximal entry.</summary>
    public static int MaxPayloadBytes(KvEngineOptions options) =>
        Math.Max(
            KvEngineOptions.MaxSnapshotChunkBytes,
            1 + EntryBytes(MaxKeyBytes(options), Math.Max(options.MaxValueBytes, TxnRecordCodec.MaxLockBytes(options))));

    public static void WriteFrameHeader(Span<byte> destination, ChunkKind kind, int payloadLength)
    {
        destination[0] = (byte)kind;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[1..], (uint)payloadLength);
    }

    public static uint ChunkCrc(ReadOnlySpan<byte> frameHeader, ReadOnlySpan<byte> payload)
    {
        var crc = new Crc32();
        crc.Append(frameHeader);
        crc.Append(payload);
        return crc.GetCurrentHashAsUInt32();
    }
}

internal enum ChunkKind : byte
{
    Header = 1,
    Data = 2,
    End = 3,
}
