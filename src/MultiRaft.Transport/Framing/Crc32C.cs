using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace MultiRaft.Transport.Framing;

/// <summary>CRC-32C (Castagnoli), the checksum of every frame. <see cref="BitOperations.Crc32C(uint, ulong)"/>
/// uses the CPU's CRC instruction where there is one.</summary>
public static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(uint.MaxValue, data);

    /// <summary>Continues a running (not yet inverted) CRC over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        if (BitConverter.IsLittleEndian)
        {
            // Whole 8-byte words straight off the span (the CRC consumes them little-endian): no per-word
            // slicing or bounds checks, so the loop runs at the speed of the CRC instruction.
            foreach (var word in MemoryMarshal.Cast<byte, ulong>(data))
            {
                crc = BitOperations.Crc32C(crc, word);
            }
            data = data[(data.Length & ~7)..];
        }
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }
        return crc;
    }
}
