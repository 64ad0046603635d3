using System.Net;
using System.Net.Sockets;
using System.Text;
using MultiRaft.Client;

namespace MultiRaft.Store.Tests;

/// <summary>Garbage and half-open connections on every port a cluster listens on (PD's RPC and HTTP API, every
/// store, every status page), and oversized requests through the client: each is refused, and the cluster keeps serving.</summary>
public sealed class HostileInputTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Garbage_and_half_open_connections_on_every_port_leave_the_cluster_serving()
    {
        await using var cluster = await TestCluster.StartAsync(tune: o => o with { StatusListen = new IPEndPoint(IPAddress.Loopback, 0) }, withPdScheduling: true);
        await cluster.WaitForLeaderAsync();
        await using var client = cluster.NewClient();
        await client.PutAsync("before"u8.ToArray(), "1"u8.ToArray());

        var ports = new List<IPEndPoint> { cluster.Pd.Endpoint, cluster.Pd.HttpEndpoint! };
        foreach (var store in cluster.Stores)
        {
            ports.Add(store!.Endpoint);
            ports.Add(store.StatusEndpoint!);
        }
        var seed = Random.Shared.Next();
        output.WriteLine($"garbage seed {seed}");
        var random = new Random(seed);
        var halfOpen = new List<Socket>();
        try
        {
            foreach (var port in ports)
            {
                for (var i = 0; i < 3; i++)
                {
                    var idle = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    await idle.ConnectAsync(port);
                    halfOpen.Add(idle); // Connected, never speaks.
                }
                for (var i = 0; i < 30; i++)
                {
                    using var garbage = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    await garbage.ConnectAsync(port);
                    var bytes = new byte[random.Next(1, 4096)];
                    random.NextBytes(bytes);
                    try
                    {
                        await garbage.SendAsync(bytes);
                    }
                    catch (SocketException)
                    {
                        // The server may close on the first bad byte.
                    }
                }
            }

            Assert.Equal("1"u8.ToArray(), await client.GetAsync("before"u8.ToArray()));
            await client.PutAsync("after"u8.ToArray(), "2"u8.ToArray());
            await using var fresh = cluster.NewClient();
            Assert.Equal("2"u8.ToArray(), await fresh.GetAsync("after"u8.ToArray()));
        }
        finally
        {
            foreach (var socket in halfOpen)
            {
                socket.Dispose();
            }
        }
    }

    [Fact]
    public async Task Oversized_keys_values_and_batches_are_refused_with_the_limit_and_change_nothing()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.WaitForLeaderAsync();
        await using var client = cluster.NewClient();

        var key = await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.PutAsync(new byte[8 * 1024 + 1], "v"u8.ToArray()));
        Assert.Contains("8192", key.Message, StringComparison.Ordinal);
        var value = await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.PutAsync("k"u8.ToArray(), new byte[8 * 1024 * 1024 + 1]));
        Assert.Contains("8388608", value.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.PutAsync([], "v"u8.ToArray()));
        var batch = Enumerable.Range(0, 3).Select(i => new Protocol.Kv.KvEntry(Encoding.UTF8.GetBytes($"b{i}"), i == 1 ? new byte[8 * 1024 * 1024 + 1] : "v"u8.ToArray())).ToList();
        await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.BatchPutAsync(batch));

        Assert.Empty(await client.ScanAsync("b"u8.ToArray(), "c"u8.ToArray(), 10));
        Assert.Null(await client.GetAsync("k"u8.ToArray()));
    }
}
