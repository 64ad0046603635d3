using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using MultiRaft.Protocol;
using MultiRaft.Raft;
using MultiRaft.Transport.Connections;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Benchmarks;

/// <summary>Two transports in one process over loopback. One operation is one Raft message delivered (with
/// 100 bytes of entry data, or 64 KiB), or one RPC round trip with 64 calls in flight.</summary>
[MemoryDiagnoser]
public class TransportBenchmarks
{
    private const int MessagesPerInvoke = 20_000;
    private const int RpcConcurrency = 64;
    private const int RpcCallsPerWorker = 100;

    private RaftListener _listener = null!;
    private RaftSender _sender = null!;
    private RpcServer _server = null!;
    private RpcClient _client = null!;
    private long _received;
    private RaftEnvelope _small = null!;
    private RaftEnvelope _large = null!;

    private static RaftEnvelope Envelope(int bytes) =>
        new(1, 1, 2, new Message { Type = MessageType.Append, From = 1, To = 2, Term = 1, Entries = new Entry[] { new(1, 1, new byte[bytes]) } });

    [GlobalSetup]
    public async Task Setup()
    {
        _small = Envelope(100);
        _large = Envelope(64 * 1024);
        var options = new TransportOptions { ClusterId = 1, StoreId = 2, SendQueueCapacity = MessagesPerInvoke * 2 };
        _listener = new RaftListener(options, new IPEndPoint(IPAddress.Loopback, 0), _ => Interlocked.Increment(ref _received));
        _listener.Start();
        _sender = new RaftSender(options with { StoreId = 1 }, 2, TcpConnector.To(_listener.LocalEndPoint));
        _server = new RpcServer(options, new IPEndPoint(IPAddress.Loopback, 0), new Dictionary<string, RpcHandler>
        {
            ["echo"] = (body, _) => ValueTask.FromResult(body.ToArray()),
        });
        _server.Start();
        _client = await RpcClient.ConnectAsync(options with { StoreId = 0 }, TcpConnector.To(_server.LocalEndPoint), 2, default);
    }

    private void SendAndWait(RaftEnvelope envelope, int count)
    {
        var target = Interlocked.Read(ref _received) + count;
        for (var i = 0; i < count; i++)
        {
            while (!_sender.TrySend(envelope))
            {
                Thread.Yield();
            }
        }
        var spinner = default(SpinWait);
        while (Interlocked.Read(ref _received) < target)
        {
            spinner.SpinOnce();
        }
    }

    [Benchmark(OperationsPerInvoke = MessagesPerInvoke)]
    public void RaftMessages100B() => SendAndWait(_small, MessagesPerInvoke);

    [Benchmark(OperationsPerInvoke = 1000)]
    public void RaftMessages64KiB() => SendAndWait(_large, 1000);

    [Benchmark(OperationsPerInvoke = RpcConcurrency * RpcCallsPerWorker)]
    public async Task RpcRoundTrips64InFlight()
    {
        var body = new byte[16];
        var workers = new Task[RpcConcurrency];
        for (var w = 0; w < RpcConcurrency; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                for (var i = 0; i < RpcCallsPerWorker; i++)
                {
                    await _client.CallAsync("echo", body, TimeSpan.FromSeconds(30));
                }
            });
        }
        await Task.WhenAll(workers);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
        await _sender.DisposeAsync();
        await _listener.DisposeAsync();
    }
}
