using System.Buffers;
using System.Buffers.Binary;

namespace MultiRaft.Transport.Framing;

/// <summary>
/// The wire frame: <c>[payload length: 4][kind: 1][CRC-32C: 4][payload]</c>, little-endian; the checksum
/// covers the length, the kind and the payload, so a damaged header is caught as surely as a damaged body.
/// The length comes first and is checked against the limit before anything is buffered, so a hostile or
/// broken peer cannot make the reader hold more than one maximum frame.
/// </summary>
public static class FrameCodec
{
    public const int HeaderBytes = 4 + 1 + 4;

    /// <summary>Writes one frame to <paramref name="writer"/>.</summary>
    public static void Write(IBufferWriter<byte> writer, FrameKind kind, ReadOnlySpan<byte> payload)
    {
        WriteHeader(writer.GetSpan(HeaderBytes), kind, payload);
        writer.Advance(HeaderBytes);
        writer.Write(payload);
    }

    /// <summary>Writes the <see cref="HeaderBytes"/> that go in front of <paramref name="payload"/>, for a caller
    /// that lays out whole frames itself.</summary>
    public static void WriteHeader(Span<byte> header, FrameKind kind, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length);
        header[4] = (byte)kind;
        BinaryPrimitives.WriteUInt32LittleEndian(header[5..], ~Crc32C.Append(Crc32C.Append(uint.MaxValue, header[..5]), payload));
    }

    /// <summary>
    /// Takes one frame off the front of <paramref name="buffer"/> if it holds a whole one. Returns false when
    /// more bytes are needed; throws <see cref="FrameException"/> for a frame that must close the connection.
    /// The payload is a slice of <paramref name="buffer"/>: valid until the reader advances past it.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxPayloadBytes, out FrameKind kind, out ReadOnlySequence<byte> payload)
    {
        kind = default;
        payload = default;
        if (buffer.Length < HeaderBytes)
        {
            return false;
        }
        Span<byte> header = stackalloc byte[HeaderBytes];
        buffer.Slice(0, HeaderBytes).CopyTo(header);
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length < 0 || length > maxPayloadBytes)
        {
            throw new FrameException($"frame of {(uint)length} bytes exceeds the {maxPayloadBytes}-byte limit");
        }
        var rawKind = header[4];
        if (!Enum.IsDefined((FrameKind)rawKind))
        {
            throw new FrameException($"unknown frame kind {rawKind}");
        }
        if (buffer.Length < HeaderBytes + (long)length)
        {
            return false;
        }
        payload = buffer.Slice(HeaderBytes, length);
        var expected = BinaryPrimitives.ReadUInt32LittleEndian(header[5..]);
        var crc = Crc32C.Append(uint.MaxValue, header[..5]);
        foreach (var segment in payload)
        {
            crc = Crc32C.Append(crc, segment.Span);
        }
        if (~crc != expected)
        {
            throw new FrameException($"frame checksum mismatch ({(FrameKind)rawKind}, {length} bytes)");
        }
        kind = (FrameKind)rawKind;
        buffer = buffer.Slice(HeaderBytes + length);
        return true;
    }
}
