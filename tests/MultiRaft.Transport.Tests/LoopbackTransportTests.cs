using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MultiRaft.Protocol;
using MultiRaft.Raft;
using MultiRaft.Transport.Connections;
using MultiRaft.Transport.Framing;

namespace MultiRaft.Transport.Tests;

public class LoopbackTransportTests
{
    private const ulong Cluster = 7;

    private static TransportOptions Options(ulong store, int queue = 8192) => new()
    {
        ClusterId = Cluster,
        StoreId = store,
        SendQueueCapacity = queue,
        ReconnectBackoffMin = TimeSpan.FromMilliseconds(10),
        ReconnectBackoffMax = TimeSpan.FromMilliseconds(100),
    };

    private static RaftEnvelope Envelope(ulong region, ulong sequence) =>
        new(region, 1, 2, new Message { Type = MessageType.Append, From = 1, To = 2, Term = 3, Index = sequence, Entries = new Entry[] { new(3, sequence + 1, new byte[100]) } });

    [Fact]
    public async Task Messages_of_many_regions_arrive_in_order_batched_into_frames()
    {
        var received = new ConcurrentQueue<RaftEnvelope>();
        await using var listener = new RaftListener(Options(2), new IPEndPoint(IPAddress.Loopback, 0), received.Enqueue);
        listener.Start();
        await using var sender = new RaftSender(Options(1, queue: 20_000), 2, TcpConnector.To(() => listener.LocalEndPoint));

        for (ulong i = 0; i < 10_000; i++)
        {
            Assert.True(sender.TrySend(Envelope(i % 50, i)));
        }
        await Eventually.True(() => received.Count == 10_000, $"{received.Count} of 10,000 arrived");

        Assert.Equal(Enumerable.Range(0, 10_000).Select(i => (ulong)i), received.Select(e => e.Message.Index));
        Assert.True(sender.Frames < 10_000, $"{sender.Frames} frames for 10,000 messages: no batching");
        Assert.Equal(0, sender.Dropped);
    }

    [Fact]
    public async Task Large_messages_are_split_across_frames_under_the_limit_and_an_oversized_one_is_dropped()
    {
        var received = new ConcurrentQueue<RaftEnvelope>();
        var small = Options(2) with { MaxFrameBytes = 1024 * 1024 };
        await using var listener = new RaftListener(small, new IPEndPoint(IPAddress.Loopback, 0), received.Enqueue);
        listener.Start();
        var unreachable = new ConcurrentBag<RaftEnvelope>();
        await using var sender = new RaftSender(small with { StoreId = 1 }, 2, TcpConnector.To(() => listener.LocalEndPoint), unreachable.Add);

        RaftEnvelope Big(ulong index, int bytes) => new(1, 1, 2, new Message { Type = MessageType.Append, From = 1, To = 2, Index = index, Entries = new Entry[] { new(1, index, new byte[bytes]) } });
        for (ulong i = 0; i < 100; i++)
        {
            sender.TrySend(Big(i, 64 * 1024));
        }
        sender.TrySend(Big(1000, 2 * 1024 * 1024));
        sender.TrySend(Big(1001, 10));

        await Eventually.True(() => received.Count == 101, $"{received.Count} of 101 arrived");
        Assert.Equal([.. Enumerable.Range(0, 100).Select(i => (ulong)i), 1001UL], received.Select(e => e.Message.Index));
        Assert.True(sender.Frames >= 7, $"{sender.Frames} frames: 6.4 MiB cannot fit in fewer 1 MiB frames");
        Assert.Equal(1, sender.Dropped);
        Assert.Contains(unreachable, e => e.Message.Index == 1000);
        Assert.Equal(0, listener.RefusedConnections);
    }

    [Fact]
    public async Task Multi_MiB_frames_deliver_every_byte_intact()
    {
        var received = new ConcurrentQueue<RaftEnvelope>();
        await using var listener = new RaftListener(Options(2), new IPEndPoint(IPAddress.Loopback, 0), received.Enqueue);
        listener.Start();
        await using var sender = new RaftSender(Options(1), 2, TcpConnector.To(() => listener.LocalEndPoint));

        // About 20 MiB of distinct data in frames of up to 8 MiB (half the 16 MiB limit), read by the
        // listener in growing segments.
        static byte[] Data(ulong index)
        {
            var data = new byte[64 * 1024 + (int)index * 13];
            new Random((int)index).NextBytes(data);
            return data;
        }
        for (ulong i = 0; i < 300; i++)
        {
            Assert.True(sender.TrySend(new(1, 1, 2, new Message { Type = MessageType.Append, From = 1, To = 2, Index = i, Entries = new Entry[] { new(1, i, Data(i)) } })));
        }

        await Eventually.True(() => received.Count == 300, $"{received.Count} of 300 arrived");
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (ulong)i), received.Select(e => e.Message.Index));
        Assert.All(received, e => Assert.Equal(Data(e.Message.Index), e.Message.Entries.Span[0].Data.ToArray()));
        Assert.InRange(sender.Frames, 3, 300);
        Assert.Equal(0, listener.RefusedConnections);
    }

    [Fact]
    public async Task A_full_queue_drops_and_counts_instead_of_blocking()
    {
        // A connection that never completes: nothing drains the queue.
        await using var sender = new RaftSender(Options(1, queue: 100), 2, async cancellation =>
        {
            await Task.Delay(Timeout.Infinite, cancellation);
            throw new InvalidOperationException("unreachable");
        });

        var accepted = 0;
        for (ulong i = 0; i < 1000; i++)
        {
            accepted += sender.TrySend(Envelope(1, i)) ? 1 : 0;
        }

        Assert.Equal(100, accepted);
        Assert.Equal(900, sender.Dropped);
    }

    [Fact]
    public async Task Messages_for_a_store_that_cannot_be_reached_are_reported_unreachable()
    {
        var deadEndpoint = Loopback.ClosedPort();
        var unreachable = new ConcurrentBag<RaftEnvelope>();
        await using var sender = new RaftSender(Options(1), 2, TcpConnector.To(() => deadEndpoint), unreachable.Add);

        for (ulong i = 0; i < 10; i++)
        {
            sender.TrySend(Envelope(7, i));
        }

        await Eventually.True(() => unreachable.Count == 10, $"{unreachable.Count} of 10 reported unreachable");
        Assert.All(unreachable, e => Assert.Equal(7UL, e.RegionId));
        Assert.Equal(0, sender.Connections);
    }

    [Fact]
    public async Task A_connection_from_another_cluster_is_refused_and_delivers_nothing()
    {
        var received = new ConcurrentQueue<RaftEnvelope>();
        await using var listener = new RaftListener(Options(2), new IPEndPoint(IPAddress.Loopback, 0), received.Enqueue);
        listener.Start();
        await using var stranger = new RaftSender(Options(1) with { ClusterId = 99 }, 2, TcpConnector.To(() => listener.LocalEndPoint));
        stranger.TrySend(Envelope(1, 1));

        await Eventually.True(() => listener.RefusedConnections > 0, "the foreign handshake was not refused");
        await Task.Delay(100);
        Assert.Empty(received);
        Assert.Equal(0, stranger.Connections);
    }

    [Fact]
    public async Task Garbage_on_the_port_closes_that_connection_and_the_listener_keeps_serving()
    {
        var received = new ConcurrentQueue<RaftEnvelope>();
        await using var listener = new RaftListener(Options(2), new IPEndPoint(IPAddress.Loopback, 0), received.Enqueue);
        listener.Start();
        var random = new Random(5);
        for (var i = 0; i < 20; i++)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(listener.LocalEndPoint);
            var garbage = new byte[random.Next(1, 4096)];
            random.NextBytes(garbage);
            if (i % 2 == 0)
            {
                // A well-formed frame header claiming a huge payload.
                BitConverter.TryWriteBytes(garbage.AsSpan(0, Math.Min(4, garbage.Length)), int.MaxValue);
            }
            await client.GetStream().WriteAsync(garbage);
        }
        // A half-open connection that never speaks is dropped after the handshake timeout, not kept forever.
        using var silent = new TcpClient();
        await silent.ConnectAsync(listener.LocalEndPoint);

        await using var sender = new RaftSender(Options(1), 2, TcpConnector.To(() => listener.LocalEndPoint));
        sender.TrySend(Envelope(3, 42));
        await Eventually.True(() => received.Count == 1, "a well-formed sender was not served after the garbage");
        Assert.Equal(42UL, received.Single().Message.Index);
        await Eventually.True(() => listener.RefusedConnections >= 20, $"only {listener.RefusedConnections} bad connections were closed");
    }

    [Fact]
    public async Task The_sender_reconnects_after_the_peer_restarts()
    {
        var received = new ConcurrentQueue<RaftEnvelope>();
        var first = new RaftListener(Options(2), new IPEndPoint(IPAddress.Loopback, 0), received.Enqueue);
        first.Start();
        var endpoint = first.LocalEndPoint;
        await using var sender = new RaftSender(Options(1), 2, TcpConnector.To(() => endpoint));
        sender.TrySend(Envelope(1, 1));
        await Eventually.True(() => received.Count == 1, "first message not delivered");

        await first.DisposeAsync();
        await using var second = new RaftListener(Options(2), endpoint, received.Enqueue);
        second.Start();
        // Messages sent while the connection is found broken may be lost (Raft retransmits); keep sending
        // until one arrives over a new connection.
        for (ulong i = 2; i < 400 && received.Count < 2; i++)
        {
            sender.TrySend(Envelope(1, i));
            await Task.Delay(25);
        }
        Assert.True(received.Count >= 2, "nothing arrived after the peer restarted");
        Assert.True(sender.Connections >= 2);
    }
}
