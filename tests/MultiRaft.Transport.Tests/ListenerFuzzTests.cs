using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MultiRaft.Protocol;
using MultiRaft.Raft;
using MultiRaft.Transport.Connections;
using MultiRaft.Transport.Framing;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Transport.Tests;

/// <summary>Hostile input on a listening port: every bad frame closes only its own connection.</summary>
public class ListenerFuzzTests
{
    private static readonly TransportOptions Options = new() { ClusterId = 7, StoreId = 2, HandshakeTimeout = TimeSpan.FromSeconds(2) };

    /// <summary>A frame that is wrong in one of several ways, each behind a valid handshake half the time.</summary>
    private static byte[] HostileConnection(Random random, FrameKind expected)
    {
        var writer = new ArrayBufferWriter<byte>();
        if (random.Next(2) == 0)
        {
            FrameCodec.Write(writer, FrameKind.Handshake, ProtocolSerializer.Serialize(new Handshake(Handshake.CurrentVersion, 7, 1)));
        }
        var good = new ArrayBufferWriter<byte>();
        FrameCodec.Write(good, expected, expected == FrameKind.RaftMessages
            ? ProtocolSerializer.Serialize(new RaftBatch([new RaftEnvelope(1, 1, 2, new Message { Type = MessageType.Heartbeat, To = 2, From = 1 })]))
            : ProtocolSerializer.Serialize(new RpcRequest(1, "echo", [1], 1000)));
        var frame = good.WrittenSpan.ToArray();
        switch (random.Next(5))
        {
            case 0: // random bytes
                frame = new byte[random.Next(1, 200)];
                random.NextBytes(frame);
                break;
            case 1: // flipped bytes in a good frame
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    frame[random.Next(frame.Length)] ^= (byte)random.Next(1, 256);
                }
                break;
            case 2: // a valid frame around a garbage payload (the checksum is right, the content is not)
                var garbage = new byte[random.Next(0, 100)];
                random.NextBytes(garbage);
                var wrapped = new ArrayBufferWriter<byte>();
                FrameCodec.Write(wrapped, expected, garbage);
                frame = wrapped.WrittenSpan.ToArray();
                break;
            case 3: // a header announcing an enormous payload
                BitConverter.TryWriteBytes(frame, random.Next(Options.MaxFrameBytes + 1, int.MaxValue));
                break;
            default: // truncated, then the connection ends
                frame = frame[..random.Next(1, frame.Length)];
                break;
        }
        writer.Write(frame);
        return writer.WrittenSpan.ToArray();
    }

    private static async Task Blast(IPEndPoint endpoint, FrameKind expected, int count, int seed)
    {
        var random = new Random(seed);
        var payloads = Enumerable.Range(0, count).Select(_ => HostileConnection(random, expected)).ToArray();
        await Parallel.ForEachAsync(payloads, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (payload, cancellation) =>
        {
            using var client = new TcpClient { NoDelay = true };
            await client.ConnectAsync(endpoint, cancellation);
            try
            {
                await client.GetStream().WriteAsync(payload, cancellation);
                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (IOException)
            {
                // The listener may already have closed this connection; that is the point.
            }
        });
    }

    [Fact]
    public async Task Ten_thousand_hostile_frames_leave_the_raft_listener_serving_a_well_formed_sender()
    {
        var received = new ConcurrentQueue<RaftEnvelope>();
        await using var listener = new RaftListener(Options, new IPEndPoint(IPAddress.Loopback, 0), received.Enqueue);
        listener.Start();

        await Blast(listener.LocalEndPoint, FrameKind.RaftMessages, 10_000, seed: 11);

        await using var sender = new RaftSender(Options with { StoreId = 1 }, 2, TcpConnector.To(listener.LocalEndPoint));
        sender.TrySend(new RaftEnvelope(5, 1, 2, new Message { Type = MessageType.Heartbeat, To = 2, From = 1, Term = 4 }));
        for (var i = 0; i < 400 && !received.Any(e => e.RegionId == 5); i++)
        {
            await Task.Delay(25);
        }
        // (A random mutation can cancel itself out and deliver the fuzzer's heartbeat for region 1: that is a
        // valid frame. Nothing else gets through.)
        Assert.All(received, e => Assert.Contains(e.RegionId, new ulong[] { 1, 5 }));
        var message = Assert.Single(received, e => e.RegionId == 5);
        Assert.Equal(4UL, message.Message.Term);
        Assert.True(listener.RefusedConnections > 5_000, $"only {listener.RefusedConnections} connections were refused");
    }

    [Fact]
    public async Task Hostile_frames_leave_the_rpc_server_answering_a_well_formed_client()
    {
        await using var server = new RpcServer(Options, new IPEndPoint(IPAddress.Loopback, 0), new Dictionary<string, RpcHandler>
        {
            ["echo"] = (body, _) => ValueTask.FromResult(body.ToArray()),
        });
        server.Start();

        await Blast(server.LocalEndPoint, FrameKind.Request, 2_000, seed: 12);

        await using var client = await RpcClient.ConnectAsync(Options with { StoreId = 0 }, TcpConnector.To(server.LocalEndPoint), 2, default);
        Assert.Equal([4, 2], await client.CallAsync("echo", [4, 2], TimeSpan.FromSeconds(5)));
    }
}
