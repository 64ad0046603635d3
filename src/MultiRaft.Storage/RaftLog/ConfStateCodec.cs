using System.Buffers.Binary;
using MultiRaft.Raft;

namespace MultiRaft.Storage.RaftLog;

/// <summary>Binary form of a <see cref="ConfState"/>: four id lists (count + ids) and the auto-leave flag.</summary>
internal static class ConfStateCodec
{
    public static int Size(ConfState state) =>
        1 + 4 * 4 + 8 * (state.Voters.Length + state.VotersOutgoing.Length + state.Learners.Length + state.LearnersNext.Length);

    public static int Write(ConfState state, Span<byte> into)
    {
        into[0] = state.AutoLeave ? (byte)1 : (byte)0;
        var offset = 1;
        foreach (var ids in new[] { state.Voters, state.VotersOutgoing, state.Learners, state.LearnersNext })
        {
            BinaryPrimitives.WriteInt32LittleEndian(into[offset..], ids.Length);
            offset += 4;
            foreach (var id in ids)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(into[offset..], id);
                offset += 8;
            }
        }
        return offset;
    }

    public static ConfState Read(ReadOnlySpan<byte> from, out int consumed)
    {
        if (from.Length < 1 + 16)
        {
            throw new StorageException("truncated configuration");
        }
        var autoLeave = from[0] == 1;
        var offset = 1;
        var lists = new ulong[4][];
        for (var l = 0; l < 4; l++)
        {
            var count = BinaryPrimitives.ReadInt32LittleEndian(from[offset..]);
            offset += 4;
            if (count < 0 || from.Length - offset < count * 8L)
            {
                throw new StorageException($"malformed configuration: {count} ids");
            }
            lists[l] = new ulong[count];
            for (var i = 0; i < count; i++)
            {
                lists[l][i] = BinaryPrimitives.ReadUInt64LittleEndian(from[offset..]);
                offset += 8;
            }
        }
        consumed = offset;
        return new ConfState { AutoLeave = autoLeave, Voters = lists[0], VotersOutgoing = lists[1], Learners = lists[2], LearnersNext = lists[3] };
    }
}
