using System.Buffers.Binary;
using System.IO.Hashing;

namespace MultiRaft.Storage.Kv;

/// <summary>
/// The byte layout of a region snapshot stream. Integers in frames are little-endian; inside payloads they are
/// LEB128 varints.
/// <code>
/// stream := "MRKV" | format version (1) | header chunk | data chunk* | end chunk
/// chunk  := kind (1 byte) | payload length (u32) | payload | CRC-32 of kind, length and payload (u32)
/// header (kind 1): length-prefixed RegionLocalState | length-prefixed ApplyState   (MetaCodec encodings)
/// data   (kind 2): (key length | user key | value length | value)+   keys ascending, inside the region's range
/// end    (kind 3): entry count (u64) | data bytes (u64) | CRC-64 of every stream byte before the end chunk (u64)
/// </code>
/// Data payloads hold about <see cref="KvEngineOptions.SnapshotChunkBytes"/> (at most 1 MiB); an entry larger than
/// that travels alone. The per-chunk CRC catches a damaged chunk as soon as it arrives; the end chunk catches a
/// stream that lost, repeated or reordered whole chunks, or was cut short.
/// </summary>
internal static class RegionSnapshotFormat
{
    public const byte Version = 1;
    public const int FrameHeaderBytes = 1 + sizeof(uint);
    public const int FrameTrailerBytes = sizeof(uint);
    public const int EndPayloadBytes = 3 * sizeof(ulong);

    public static ReadOnlySpan<byte> Magic => "MRKV"u8;

    /// <summary>Bytes one data entry takes in a chunk payload.</summary>
    public static int EntryBytes(int keyLength, int valueLength) =>
        ByteWriter.VarUInt64Size((ulong)keyLength) + keyLength + ByteWriter.VarUInt64Size((ulong)valueLength) + valueLength;

    /// <summary>The largest payload a receiver with these limits accepts: a full chunk or one maximal entry.</summary>
    public static int MaxPayloadBytes(KvEngineOptions options) =>
        Math.Max(KvEngineOptions.MaxSnapshotChunkBytes, EntryBytes(options.MaxKeyBytes, options.MaxValueBytes));

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
