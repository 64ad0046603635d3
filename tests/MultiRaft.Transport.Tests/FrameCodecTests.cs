using System.Buffers;
using System.Text;
using MultiRaft.Transport.Framing;

namespace MultiRaft.Transport.Tests;

public class FrameCodecTests
{
    private const int Limit = 1024;

    private static byte[] Frames(params (FrameKind Kind, byte[] Payload)[] frames)
    {
        var writer = new ArrayBufferWriter<byte>();
        foreach (var (kind, payload) in frames)
        {
            FrameCodec.Write(writer, kind, payload);
        }
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Splits bytes into a chain of small segments, as a socket delivers them.</summary>
    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int segment)
    {
        Chunk? first = null;
        Chunk? last = null;
        for (var offset = 0; offset < bytes.Length; offset += segment)
        {
            var chunk = new Chunk(bytes.AsMemory(offset, Math.Min(segment, bytes.Length - offset)));
            if (first is null)
            {
                first = last = chunk;
            }
            else
            {
                last = last!.Append(chunk);
            }
        }
        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Chunk : ReadOnlySequenceSegment<byte>
    {
        public Chunk(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Chunk Append(Chunk next)
        {
            next.RunningIndex = RunningIndex + Memory.Length;
            Next = next;
            return next;
        }
    }

    [Fact]
    public void Crc32C_matches_the_standard_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void Crc32C_is_the_same_whatever_the_length_and_split()
    {
        var data = Enumerable.Range(0, 67).Select(i => (byte)(i * 37 + 11)).ToArray();
        for (var length = 0; length <= data.Length; length++)
        {
            var bytewise = uint.MaxValue;
            foreach (var b in data.AsSpan(0, length))
            {
                bytewise = Crc32C.Append(bytewise, [b]);
            }
            Assert.Equal(bytewise, Crc32C.Append(uint.MaxValue, data.AsSpan(0, length)));
            Assert.Equal(bytewise, Crc32C.Append(Crc32C.Append(uint.MaxValue, data.AsSpan(0, length / 3)), data.AsSpan(length / 3, length - length / 3)));
        }
    }

    [Fact]
    public void FrameBuilder_lays_out_the_same_bytes_as_FrameCodec_and_grows_and_is_reused()
    {
        using var builder = new FrameBuilder(initialBytes: 16);
        foreach (var size in new[] { 0, 5, 100_000, 3 })
        {
            var payload = Enumerable.Range(0, size).Select(i => (byte)(i * 7)).ToArray();
            builder.Begin();
            // In two writes, the second forcing growth past the initial buffer.
            builder.Write(payload.AsSpan(0, size / 2));
            builder.Write(payload.AsSpan(size / 2));
            Assert.Equal(Frames((FrameKind.RaftMessages, payload)), builder.Finish(FrameKind.RaftMessages).ToArray());
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1000)]
    public void Frames_round_trip_however_the_bytes_are_split(int segment)
    {
        var payloads = new[] { Array.Empty<byte>(), Encoding.UTF8.GetBytes("hello"), Enumerable.Range(0, 700).Select(i => (byte)i).ToArray() };
        var buffer = Segmented(Frames((FrameKind.Handshake, payloads[0]), (FrameKind.RaftMessages, payloads[1]), (FrameKind.Request, payloads[2])), segment);

        var read = new List<(FrameKind, byte[])>();
        while (FrameCodec.TryRead(ref buffer, Limit, out var kind, out var payload))
        {
            read.Add((kind, payload.ToArray()));
        }

        Assert.Equal(0, buffer.Length);
        Assert.Equal([FrameKind.Handshake, FrameKind.RaftMessages, FrameKind.Request], read.Select(r => r.Item1));
        Assert.Equal(payloads, read.Select(r => r.Item2));
    }

    [Fact]
    public void A_partial_frame_asks_for_more_bytes_and_consumes_nothing()
    {
        var bytes = Frames((FrameKind.Response, new byte[100]));
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, cut);
            Assert.False(FrameCodec.TryRead(ref buffer, Limit, out _, out _));
            Assert.Equal(cut, buffer.Length);
        }
    }

    [Fact]
    public void An_oversized_length_is_refused_before_its_payload_arrives()
    {
        var header = Frames((FrameKind.Request, new byte[Limit + 1]))[..FrameCodec.HeaderBytes];
        var buffer = new ReadOnlySequence<byte>(header);
        var error = Assert.Throws<FrameException>(() => FrameCodec.TryRead(ref buffer, Limit, out _, out _));
        Assert.Contains("limit", error.Message);
    }

    [Fact]
    public void A_corrupted_payload_fails_the_checksum()
    {
        var bytes = Frames((FrameKind.RaftMessages, Encoding.UTF8.GetBytes("payload")));
        bytes[^1] ^= 0x01;
        var buffer = new ReadOnlySequence<byte>(bytes);
        var error = Assert.Throws<FrameException>(() => FrameCodec.TryRead(ref buffer, Limit, out _, out _));
        Assert.Contains("checksum", error.Message);
    }

    [Fact]
    public void An_unknown_kind_is_refused()
    {
        var bytes = Frames((FrameKind.RaftMessages, [1, 2, 3]));
        bytes[4] = 200;
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.Throws<FrameException>(() => FrameCodec.TryRead(ref buffer, Limit, out _, out _));
    }

    /// <summary>Random and mutated bytes only ever yield frames, a request for more bytes, or a
    /// FrameException; payloads never exceed the limit; and a good frame still parses afterwards.</summary>
    [Fact]
    public void Ten_thousand_random_and_mutated_inputs_never_escape_as_anything_but_a_frame_error()
    {
        var random = new Random(20261123);
        var good = Frames((FrameKind.RaftMessages, Encoding.UTF8.GetBytes("a well-formed frame")), (FrameKind.Response, new byte[300]));
        var outcomes = new int[3];
        for (var i = 0; i < 10_000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 64)];
                random.NextBytes(input);
            }
            else
            {
                input = (byte[])good.Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    input[random.Next(input.Length)] ^= (byte)random.Next(1, 256);
                }
                input = input[..random.Next(1, input.Length + 1)];
            }
            var buffer = new ReadOnlySequence<byte>(input);
            try
            {
                while (FrameCodec.TryRead(ref buffer, Limit, out _, out var payload))
                {
                    Assert.True(payload.Length <= Limit);
                    outcomes[0]++;
                }
                outcomes[1]++;
            }
            catch (FrameException)
            {
                outcomes[2]++;
            }
        }
        Assert.All(outcomes, count => Assert.True(count > 0, $"outcomes {string.Join('/', outcomes)}: some path never ran"));

        var clean = new ReadOnlySequence<byte>(good);
        Assert.True(FrameCodec.TryRead(ref clean, Limit, out var kind, out var first));
        Assert.Equal(FrameKind.RaftMessages, kind);
        Assert.Equal("a well-formed frame", Encoding.UTF8.GetString(first.ToArray()));
    }
}
