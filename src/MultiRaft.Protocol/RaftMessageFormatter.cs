using System.Buffers;
using MessagePack;
using MessagePack.Formatters;
using MultiRaft.Raft;

namespace MultiRaft.Protocol;

/// <summary>
/// MessagePack form of a Raft <see cref="Message"/>, written by hand: the consensus core knows nothing of
/// serializers. An array of 14 fields in a fixed order; entries and the snapshot nest as arrays too. Input
/// from the network is untrusted: every enum and count is checked, and a bad message throws
/// <see cref="MessagePackSerializationException"/>.
/// </summary>
public sealed class RaftMessageFormatter : IMessagePackFormatter<Message?>
{
    private const int Fields = 14;

    public static readonly RaftMessageFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, Message? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(Fields);
        writer.Write((byte)value.Type);
        writer.Write(value.To);
        writer.Write(value.From);
        writer.Write(value.Term);
        writer.Write(value.LogTerm);
        writer.Write(value.Index);
        var entries = value.Entries.Span;
        writer.WriteArrayHeader(entries.Length);
        foreach (var entry in entries)
        {
            writer.WriteArrayHeader(4);
            writer.Write(entry.Term);
            writer.Write(entry.Index);
            writer.Write((byte)entry.Type);
            writer.Write(entry.Data.Span);
        }
        writer.Write(value.Commit);
        WriteSnapshot(ref writer, value.Snapshot);
        writer.Write(value.Reject);
        writer.Write(value.RejectHint);
        writer.Write(value.Context);
        writer.Write(value.TickStamp);
        writer.Write(value.LeaderTransfer);
    }

    public Message? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        if (reader.ReadArrayHeader() != Fields)
        {
            throw new MessagePackSerializationException("raft message: wrong field count");
        }
        var type = reader.ReadByte();
        if (!Enum.IsDefined((MessageType)type))
        {
            throw new MessagePackSerializationException($"raft message: unknown type {type}");
        }
        var to = reader.ReadUInt64();
        var from = reader.ReadUInt64();
        var term = reader.ReadUInt64();
        var logTerm = reader.ReadUInt64();
        var index = reader.ReadUInt64();
        var entries = ReadEntries(ref reader);
        var commit = reader.ReadUInt64();
        var snapshot = ReadSnapshot(ref reader);
        return new Message
        {
            Type = (MessageType)type,
            To = to,
            From = from,
            Term = term,
            LogTerm = logTerm,
            Index = index,
            Entries = entries,
            Commit = commit,
            Snapshot = snapshot,
            Reject = reader.ReadBoolean(),
            RejectHint = reader.ReadUInt64(),
            Context = reader.ReadUInt64(),
            TickStamp = reader.ReadUInt64(),
            LeaderTransfer = reader.ReadBoolean(),
        };
    }

    private static Entry[] ReadEntries(ref MessagePackReader reader)
    {
        var count = reader.ReadArrayHeader();
        var entries = count == 0 ? [] : new Entry[count];
        for (var i = 0; i < count; i++)
        {
            if (reader.ReadArrayHeader() != 4)
            {
                throw new MessagePackSerializationException("raft entry: wrong field count");
            }
            var term = reader.ReadUInt64();
            var index = reader.ReadUInt64();
            var type = reader.ReadByte();
            if (!Enum.IsDefined((EntryType)type))
            {
                throw new MessagePackSerializationException($"raft entry: unknown type {type}");
            }
            var data = reader.ReadBytes() is { } bytes ? bytes.ToArray() : [];
            entries[i] = new Entry(term, index, (EntryType)type, data);
        }
        return entries;
    }

    private static void WriteSnapshot(ref MessagePackWriter writer, Snapshot? snapshot)
    {
        if (snapshot is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(4);
        writer.Write(snapshot.Metadata.Index);
        writer.Write(snapshot.Metadata.Term);
        var state = snapshot.Metadata.ConfState;
        writer.WriteArrayHeader(5);
        WriteIds(ref writer, state.Voters);
        WriteIds(ref writer, state.VotersOutgoing);
        WriteIds(ref writer, state.Learners);
        WriteIds(ref writer, state.LearnersNext);
        writer.Write(state.AutoLeave);
        writer.Write(snapshot.Data.Span);
    }

    private static Snapshot? ReadSnapshot(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        if (reader.ReadArrayHeader() != 4)
        {
            throw new MessagePackSerializationException("raft snapshot: wrong field count");
        }
        var index = reader.ReadUInt64();
        var term = reader.ReadUInt64();
        if (reader.ReadArrayHeader() != 5)
        {
            throw new MessagePackSerializationException("raft configuration: wrong field count");
        }
        var state = new ConfState
        {
            Voters = ReadIds(ref reader),
            VotersOutgoing = ReadIds(ref reader),
            Learners = ReadIds(ref reader),
            LearnersNext = ReadIds(ref reader),
            AutoLeave = reader.ReadBoolean(),
        };
        var data = reader.ReadBytes() is { } bytes ? bytes.ToArray() : [];
        return new Snapshot(new SnapshotMetadata(index, term, state), data);
    }

    private static void WriteIds(ref MessagePackWriter writer, ulong[] ids)
    {
        writer.WriteArrayHeader(ids.Length);
        foreach (var id in ids)
        {
            writer.Write(id);
        }
    }

    private static ulong[] ReadIds(ref MessagePackReader reader)
    {
        var count = reader.ReadArrayHeader();
        var ids = new ulong[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = reader.ReadUInt64();
        }
        return ids;
    }
}
