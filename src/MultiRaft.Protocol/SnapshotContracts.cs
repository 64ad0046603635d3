using System.Buffers;
using System.Buffers.Binary;
using MessagePack;

namespace MultiRaft.Protocol;

/// <summary>What one snapshot chunk is. A snapshot stream is one <see cref="Header"/>, then <see cref="Data"/>
/// chunks numbered from 0, then one <see cref="End"/>; anything else is a protocol error.</summary>
public enum SnapshotChunkKind : byte
{
    /// <summary>Carries the Raft envelope (an InstallSnapshot message whose snapshot data is empty: the data
    /// follows in chunks).</summary>
    Header = 1,

    /// <summary>A sequence number and up to a chunk of the snapshot's bytes.</summary>
    Data = 2,

    /// <summary>The total length, the number of data chunks and the CRC-64 of all the data.</summary>
    End = 3,
}

/// <summary>
/// One decoded snapshot chunk. Only the fields of its <see cref="Kind"/> are set; <see cref="Data"/> is a
/// slice of the frame it was read from (no copy), valid until the frame reader moves on.
/// </summary>
public readonly record struct SnapshotChunk
{
    public SnapshotChunkKind Kind { get; init; }

    /// <summary><see cref="SnapshotChunkKind.Header"/>: the Raft message and its addressing.</summary>
    public RaftEnvelope? Header { get; init; }

    /// <summary><see cref="SnapshotChunkKind.Data"/>: the chunk's number, 0 for the first.</summary>
    public long Sequence { get; init; }

    /// <summary><see cref="SnapshotChunkKind.Data"/>: the chunk's bytes.</summary>
    public ReadOnlySequence<byte> Data { get; init; }

    /// <summary><see cref="SnapshotChunkKind.End"/>: bytes of data sent in all.</summary>
    public long TotalBytes { get; init; }

    /// <summary><see cref="SnapshotChunkKind.End"/>: data chunks sent in all.</summary>
    public long ChunkCount { get; init; }

    /// <summary><see cref="SnapshotChunkKind.End"/>: CRC-64 (ECMA-182, System.IO.Hashing.Crc64) of all the data.</summary>
    public ulong Checksum { get; init; }
}

/// <summary>
/// The payload of a SnapshotChunk frame: a MessagePack array whose first element is the
/// <see cref="SnapshotChunkKind"/>. <c>[Header, envelope]</c>, <c>[Data, sequence, bin]</c>,
/// <c>[End, total bytes, chunk count, checksum]</c>. Data chunks are written with a fixed-width prefix, so a
/// sender can read the data straight into the payload buffer behind it, and read back without copying.
/// </summary>
public static class SnapshotChunkCodec
{
    /// <summary>Bytes in front of the data in a data chunk: array header, kind, int64 sequence, bin32 header.</summary>
    public const int DataPrefixBytes = 1 + 1 + 9 + 5;

    public static void WriteHeader(IBufferWriter<byte> output, RaftEnvelope header)
    {
        var writer = new MessagePackWriter(output);
        writer.WriteArrayHeader(2);
        writer.Write((byte)SnapshotChunkKind.Header);
        MessagePackSerializer.Serialize(ref writer, header, ProtocolSerializer.Options);
        writer.Flush();
    }

    /// <summary>Writes the prefix of a data chunk of <paramref name="length"/> bytes; the data itself goes
    /// right after it, at <see cref="DataPrefixBytes"/>.</summary>
    public static void WriteDataPrefix(Span<byte> destination, long sequence, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        destination[0] = 0x93; // fixarray of 3
        destination[1] = (byte)SnapshotChunkKind.Data; // positive fixint
        destination[2] = 0xd3; // int64
        BinaryPrimitives.WriteInt64BigEndian(destination[3..], sequence);
        destination[11] = 0xc6; // bin32
        BinaryPrimitives.WriteInt32BigEndian(destination[12..], length);
    }

    public static void WriteEnd(IBufferWriter<byte> output, long totalBytes, long chunkCount, ulong checksum)
    {
        var writer = new MessagePackWriter(output);
        writer.WriteArrayHeader(4);
        writer.Write((byte)SnapshotChunkKind.End);
        writer.Write(totalBytes);
        writer.Write(chunkCount);
        writer.Write(checksum);
        writer.Flush();
    }

    /// <summary>Decodes one chunk; false with a reason for anything malformed (wrong shape, unknown kind,
    /// trailing bytes, negative numbers).</summary>
    public static bool TryRead(in ReadOnlySequence<byte> payload, out SnapshotChunk chunk, out string? error)
    {
        chunk = default;
        try
        {
            var reader = new MessagePackReader(payload);
            var count = reader.ReadArrayHeader();
            var kind = (SnapshotChunkKind)reader.ReadByte();
            (chunk, var expected) = kind switch
            {
                SnapshotChunkKind.Header => (new SnapshotChunk { Kind = kind, Header = MessagePackSerializer.Deserialize<RaftEnvelope>(ref reader, ProtocolSerializer.Options) }, 2),
                SnapshotChunkKind.Data => (new SnapshotChunk { Kind = kind, Sequence = reader.ReadInt64(), Data = reader.ReadBytes() ?? throw new MessagePackSerializationException("nil data") }, 3),
                SnapshotChunkKind.End => (new SnapshotChunk { Kind = kind, TotalBytes = reader.ReadInt64(), ChunkCount = reader.ReadInt64(), Checksum = reader.ReadUInt64() }, 4),
                _ => throw new MessagePackSerializationException($"unknown snapshot chunk kind {(byte)kind}"),
            };
            error = count != expected ? $"{kind} chunk of {count} fields, expected {expected}"
                : !reader.End ? $"{kind} chunk with trailing bytes"
                : chunk.Header is null && kind == SnapshotChunkKind.Header ? "empty snapshot header"
                : chunk.Sequence < 0 || chunk.TotalBytes < 0 || chunk.ChunkCount < 0 ? $"{kind} chunk with a negative number"
                : null;
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or OverflowException)
        {
            error = $"malformed snapshot chunk: {e.Message}";
        }
        return error is null;
    }
}

/// <summary>How the receiving store answered a snapshot.</summary>
public enum SnapshotResultCode : byte
{
    /// <summary>All data arrived, matched its checksum, and the store took it.</summary>
    Accepted = 0,

    /// <summary>Refused at the header (too many snapshots receiving, or the store would not take it); the
    /// receiver discards whatever data still arrives.</summary>
    Refused = 1,

    /// <summary>The data's length, chunk count or checksum did not match the end chunk; discarded.</summary>
    ChecksumMismatch = 2,

    /// <summary>The data arrived whole but the store rejected it (or could not write it); discarded.</summary>
    Rejected = 3,
}

/// <summary>The payload of a SnapshotResult frame: the receiver's one answer on a snapshot connection.</summary>
[MessagePackObject]
public sealed record SnapshotResult(
    [property: Key(0)] SnapshotResultCode Code,
    [property: Key(1)] string? Reason);
