using System.Buffers;

namespace MultiRaft.Storage.Kv;

/// <summary>Writes the counterpart of <see cref="ByteReader"/>'s encodings into a buffer writer.</summary>
internal static class ByteWriter
{
    public const int MaxVarUInt64Bytes = 10;

    public static void WriteByte(IBufferWriter<byte> writer, byte value)
    {
        writer.GetSpan(1)[0] = value;
        writer.Advance(1);
    }

    public static void WriteVarUInt64(IBufferWriter<byte> writer, ulong value)
    {
        var span = writer.GetSpan(MaxVarUInt64Bytes);
        writer.Advance(WriteVarUInt64(span, value));
    }

    /// <summary>Writes an unsigned LEB128 varint and returns its length.</summary>
    public static int WriteVarUInt64(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }

    public static int VarUInt64Size(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }

    public static void WriteLengthPrefixed(IBufferWriter<byte> writer, ReadOnlySpan<byte> bytes)
    {
        WriteVarUInt64(writer, (ulong)bytes.Length);
        writer.Write(bytes);
    }
}
