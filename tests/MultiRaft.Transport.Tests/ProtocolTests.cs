using System.Buffers;
using MessagePack;
using MultiRaft.Protocol;
using MultiRaft.Raft;

namespace MultiRaft.Transport.Tests;

public class ProtocolTests
{
    private static T RoundTrip<T>(T value)
    {
        var bytes = ProtocolSerializer.Serialize(value);
        return ProtocolSerializer.Deserialize<T>(new ReadOnlySequence<byte>(bytes));
    }

    public static TheoryData<MessageType> EveryMessageType()
    {
        var data = new TheoryData<MessageType>();
        foreach (var type in Enum.GetValues<MessageType>())
        {
            data.Add(type);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryMessageType))]
    public void Every_raft_message_kind_round_trips_with_all_its_fields(MessageType type)
    {
        var message = new Message
        {
            Type = type,
            To = 2,
            From = 1,
            Term = 7,
            LogTerm = 6,
            Index = 41,
            Entries = new Entry[] { new(6, 42, new byte[] { 1, 2, 3 }), new(7, 43, EntryType.ConfChange, ConfChange.AddLearner(9).Encode()), new(7, 44, ReadOnlyMemory<byte>.Empty) },
            Commit = 40,
            Snapshot = new Snapshot(new SnapshotMetadata(30, 5, new ConfState { Voters = [1, 2, 3], VotersOutgoing = [1, 2], Learners = [9], AutoLeave = true }), new byte[] { 9, 9 }),
            Reject = true,
            RejectHint = 12,
            Context = 99,
            TickStamp = 1234,
            LeaderTransfer = true,
        };

        var copy = RoundTrip(new RaftEnvelope(5, 10, 20, message)).Message;

        Assert.Equal(message.ToString(), copy.ToString());
        Assert.Equal((message.Type, message.To, message.From, message.Term, message.LogTerm, message.Index, message.Commit),
            (copy.Type, copy.To, copy.From, copy.Term, copy.LogTerm, copy.Index, copy.Commit));
        Assert.Equal((message.Reject, message.RejectHint, message.Context, message.TickStamp, message.LeaderTransfer),
            (copy.Reject, copy.RejectHint, copy.Context, copy.TickStamp, copy.LeaderTransfer));
        Assert.Equal(message.Entries.Length, copy.Entries.Length);
        for (var i = 0; i < message.Entries.Length; i++)
        {
            var (a, b) = (message.Entries.Span[i], copy.Entries.Span[i]);
            Assert.Equal((a.Term, a.Index, a.Type), (b.Term, b.Index, b.Type));
            Assert.True(a.Data.Span.SequenceEqual(b.Data.Span));
        }
        Assert.Equal(message.Snapshot!.Metadata, copy.Snapshot!.Metadata);
        Assert.True(message.Snapshot.Data.Span.SequenceEqual(copy.Snapshot.Data.Span));
    }

    [Fact]
    public void A_batch_of_envelopes_and_a_handshake_round_trip()
    {
        var batch = new RaftBatch([new RaftEnvelope(1, 2, 3, new Message { Type = MessageType.Heartbeat, To = 3, From = 2, Term = 1 }),
            new RaftEnvelope(4, 2, 3, new Message { Type = MessageType.HeartbeatResponse, To = 2, From = 3, Term = 1 })]);
        var copy = RoundTrip(batch);
        Assert.Equal([1UL, 4UL], copy.Envelopes.Select(e => e.RegionId));
        Assert.Equal([MessageType.Heartbeat, MessageType.HeartbeatResponse], copy.Envelopes.Select(e => e.Message.Type));
        Assert.Equal(new Handshake(Handshake.CurrentVersion, 77, 3), RoundTrip(new Handshake(Handshake.CurrentVersion, 77, 3)));
    }

    [Fact]
    public void Malformed_messages_are_rejected_with_a_serialization_error()
    {
        var good = ProtocolSerializer.Serialize(new RaftEnvelope(1, 2, 3, new Message { Type = MessageType.Append, To = 3, From = 2, Entries = new Entry[] { new(1, 1, new byte[] { 5 }) } }));
        // Random byte flips and truncations of a valid envelope.
        var random = new Random(7);
        var rejected = 0;
        for (var i = 0; i < 2000; i++)
        {
            var bytes = (byte[])good.Clone();
            bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
            bytes = bytes[..random.Next(1, bytes.Length + 1)];
            try
            {
                ProtocolSerializer.Deserialize<RaftEnvelope>(new ReadOnlySequence<byte>(bytes));
            }
            catch (MessagePackSerializationException)
            {
                rejected++;
            }
        }
        Assert.True(rejected > 1000, $"only {rejected} of 2000 corruptions were rejected");
    }
}
