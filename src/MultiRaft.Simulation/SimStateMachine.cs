using System.Buffers.Binary;

namespace MultiRaft.Simulation;

/// <summary>
/// The simulated application: the ordered list of write ids it applied, and the log-prefix digest at its
/// applied index (so a snapshot carries what log matching needs to keep checking after it).
/// </summary>
internal sealed class SimStateMachine
{
    public List<(ulong Index, ulong WriteId)> Writes { get; private set; } = [];

    public ulong AppliedIndex { get; set; }

    public byte[] Encode(ulong chainDigest)
    {
        var buffer = new byte[8 + 4 + Writes.Count * 16];
        BinaryPrimitives.WriteUInt64LittleEndian(buffer, chainDigest);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(8), Writes.Count);
        var offset = 12;
        foreach (var (index, writeId) in Writes)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(offset), index);
            BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(offset + 8), writeId);
            offset += 16;
        }
        return buffer;
    }

    /// <summary>Replaces the state with a snapshot's; returns the log digest stored in it.</summary>
    public ulong Restore(ReadOnlySpan<byte> data, ulong index)
    {
        var chain = BinaryPrimitives.ReadUInt64LittleEndian(data);
        var count = BinaryPrimitives.ReadInt32LittleEndian(data[8..]);
        var writes = new List<(ulong, ulong)>(count);
        var offset = 12;
        for (var i = 0; i < count; i++)
        {
            writes.Add((BinaryPrimitives.ReadUInt64LittleEndian(data[offset..]), BinaryPrimitives.ReadUInt64LittleEndian(data[(offset + 8)..])));
            offset += 16;
        }
        Writes = writes;
        AppliedIndex = index;
        return chain;
    }
}
