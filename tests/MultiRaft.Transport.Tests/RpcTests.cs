using System.Net;
using System.Net.Sockets;
using MultiRaft.Protocol;
using MultiRaft.Transport.Connections;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Transport.Tests;

public class RpcTests
{
    private static readonly TransportOptions ServerOptions = new() { ClusterId = 7, StoreId = 9 };
    private static readonly TransportOptions ClientOptions = new() { ClusterId = 7, StoreId = 0 };

    private static RpcServer Server(Dictionary<string, RpcHandler> handlers)
    {
        var server = new RpcServer(ServerOptions, new IPEndPoint(IPAddress.Loopback, 0), handlers);
        server.Start();
        return server;
    }

    private static Dictionary<string, RpcHandler> Handlers() => new()
    {
        ["echo"] = (body, _) => ValueTask.FromResult(body.ToArray()),
        ["slow"] = async (body, cancellation) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(10), cancellation);
            return body.ToArray();
        },
        ["reject"] = (_, _) => throw new ArgumentException("key too long (limit 8 KiB)"),
        ["crash"] = (_, _) => throw new InvalidOperationException("boom"),
        ["reverse"] = async (body, cancellation) =>
        {
            // Answer out of order: later requests with shorter bodies finish first.
            await Task.Delay(body.Length % 7, cancellation);
            return body.ToArray().Reverse().ToArray();
        },
    };

    [Fact]
    public async Task Many_concurrent_calls_on_one_connection_get_their_own_answers()
    {
        await using var server = Server(Handlers());
        await using var client = await RpcClient.ConnectAsync(ClientOptions, TcpConnector.To(server.LocalEndPoint), 9, default);

        var calls = Enumerable.Range(0, 1000).Select(async i =>
        {
            var body = BitConverter.GetBytes(i).Concat(new byte[i % 50]).ToArray();
            var answer = await client.CallAsync("reverse", body, TimeSpan.FromSeconds(30));
            Assert.Equal(body.Reverse(), answer);
        });
        await Task.WhenAll(calls);
        Assert.Equal(0, client.InFlight);
    }

    [Fact]
    public async Task A_client_disposed_while_answers_stream_in_closes_cleanly()
    {
        await using var server = Server(Handlers());
        for (var round = 0; round < 200; round++)
        {
            var client = await RpcClient.ConnectAsync(ClientOptions, TcpConnector.To(server.LocalEndPoint), 9, default);
            var calls = Enumerable.Range(0, 500).Select(i => client.CallAsync("echo", new byte[i % 64 + 1], TimeSpan.FromSeconds(30))).ToList();
            await Task.WhenAny(calls);
            await client.DisposeAsync(); // Must not throw, whatever the read loop was doing.
            foreach (var call in calls)
            {
                try
                {
                    await call;
                }
                catch (RpcConnectionException)
                {
                    // Calls still in flight fail as connection errors.
                }
            }
        }
    }

    [Fact]
    public async Task Failures_come_back_typed()
    {
        await using var server = Server(Handlers());
        await using var client = await RpcClient.ConnectAsync(ClientOptions, TcpConnector.To(server.LocalEndPoint), null, default);

        var unknown = await Assert.ThrowsAsync<RpcRemoteException>(() => client.CallAsync("nope", [], TimeSpan.FromSeconds(5)));
        Assert.Equal(RpcStatus.UnknownMethod, unknown.Status);
        var invalid = await Assert.ThrowsAsync<RpcRemoteException>(() => client.CallAsync("reject", [], TimeSpan.FromSeconds(5)));
        Assert.Equal(RpcStatus.InvalidArgument, invalid.Status);
        Assert.Contains("8 KiB", invalid.Message);
        var internalError = await Assert.ThrowsAsync<RpcRemoteException>(() => client.CallAsync("crash", [], TimeSpan.FromSeconds(5)));
        Assert.Equal(RpcStatus.Internal, internalError.Status);
        // The connection survives all of them.
        Assert.Equal([1, 2, 3], await client.CallAsync("echo", [1, 2, 3], TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_call_past_its_deadline_times_out_and_cancellation_is_honoured()
    {
        await using var server = Server(Handlers());
        await using var client = await RpcClient.ConnectAsync(ClientOptions, TcpConnector.To(server.LocalEndPoint), 9, default);

        await Assert.ThrowsAsync<RpcTimeoutException>(() => client.CallAsync("slow", [1], TimeSpan.FromMilliseconds(100)));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.CallAsync("slow", [1], TimeSpan.FromSeconds(30), cancel.Token));
        Assert.Equal([7], await client.CallAsync("echo", [7], TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Calls_in_flight_when_the_server_goes_away_fail_as_connection_errors()
    {
        var server = Server(Handlers());
        var client = await RpcClient.ConnectAsync(ClientOptions, TcpConnector.To(server.LocalEndPoint), 9, default);
        var pending = client.CallAsync("slow", [1], TimeSpan.FromSeconds(30));
        await Task.Delay(100);

        await server.DisposeAsync();

        await Assert.ThrowsAsync<RpcConnectionException>(() => pending);
        await Assert.ThrowsAsync<RpcConnectionException>(() => client.CallAsync("echo", [1], TimeSpan.FromSeconds(5)));
        await client.DisposeAsync();
    }

    [Fact]
    public async Task Connecting_to_the_wrong_store_or_cluster_fails_clearly()
    {
        await using var server = Server(Handlers());
        var wrongStore = await Assert.ThrowsAsync<RpcConnectionException>(() => RpcClient.ConnectAsync(ClientOptions, TcpConnector.To(server.LocalEndPoint), 8, default));
        Assert.Contains("store 9", wrongStore.Message);
        await Assert.ThrowsAsync<RpcConnectionException>(() => RpcClient.ConnectAsync(ClientOptions with { ClusterId = 1 }, TcpConnector.To(server.LocalEndPoint), null, default));
    }
}
