using System.Net;
using MultiRaft.Protocol;
using MultiRaft.Protocol.Pd;
using MultiRaft.Transport.Connections;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.PlacementDriver.Tests;

public class ClusterTests
{
    [Fact]
    public async Task Cluster_id_is_nonzero_and_stable_across_restarts()
    {
        await using var pd = await PdHarness.StartAsync();
        var first = pd.Server.ClusterId;
        Assert.NotEqual(0UL, first);
        Assert.Equal(first, (await pd.Client.GetClusterAsync()).ClusterId);

        await pd.RestartAsync();
        Assert.Equal(first, pd.Server.ClusterId);
        var cluster = await pd.Client.GetClusterAsync();
        Assert.Equal(first, cluster.ClusterId);
        Assert.False(cluster.Bootstrapped);
        Assert.Equal(3, cluster.MaxReplicas);
    }

    [Fact]
    public async Task Ids_are_unique_and_increasing_across_restarts()
    {
        await using var pd = await PdHarness.StartAsync();
        var last = 0UL;
        for (var round = 0; round < 4; round++)
        {
            // Restart right after allocating: the unused part of the block must never be handed out again.
            var first = await pd.Client.AllocIdAsync(1);
            Assert.True(first > last, $"id {first} after {last}");
            var batch = await pd.Client.AllocIdAsync(1500); // More than a block: the reservation grows to fit.
            Assert.True(batch > first);
            last = batch + 1499;
            await pd.RestartAsync();
        }
    }

    [Fact]
    public async Task Concurrent_callers_share_one_client_and_never_get_the_same_id()
    {
        await using var pd = await PdHarness.StartAsync();
        var ids = await Task.WhenAll(Enumerable.Range(0, 500).Select(_ => pd.Client.AllocIdAsync(2)));
        var all = ids.SelectMany(id => new[] { id, id + 1 }).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [Fact]
    public async Task Timestamps_strictly_increase_even_across_a_restart_with_the_clock_set_back()
    {
        await using var pd = await PdHarness.StartAsync();
        var previous = 0UL;
        for (var i = 0; i < 50; i++)
        {
            var ts = await pd.Client.TsoAsync(i % 3 + 1);
            Assert.True(ts > previous);
            previous = ts;
        }
        // Many in one millisecond (the clock does not move): the logical part carries into the next ms.
        for (var i = 0; i < 30; i++)
        {
            var ts = await pd.Client.TsoAsync(10_000);
            Assert.True(ts > previous);
            previous = ts;
        }
        pd.Clock.Advance(TimeSpan.FromSeconds(1));
        previous = Math.Max(previous, await pd.Client.TsoAsync());

        await pd.RestartAsync();
        pd.Clock.Advance(TimeSpan.FromMinutes(-10)); // A restart on a machine whose clock went backwards.
        var after = await pd.Client.TsoAsync();
        Assert.True(after > previous, $"{after} after restart, {previous} before");
        Assert.True(await pd.Client.TsoAsync(5) > after);
    }

    [Fact]
    public async Task Bad_input_is_answered_with_InvalidArgument()
    {
        await using var pd = await PdHarness.StartAsync();
        await AssertInvalid(() => pd.Client.AllocIdAsync(0));
        await AssertInvalid(() => pd.Client.AllocIdAsync(10_001));
        await AssertInvalid(() => pd.Client.TsoAsync(0));
        await AssertInvalid(() => pd.Client.TsoAsync(-5));
        await AssertInvalid(() => pd.Client.ScanRegionsAsync([], [], 0));
        await AssertInvalid(() => pd.Client.PutStoreAsync(0, "", null));
        await AssertInvalid(() => pd.Client.StoreHeartbeatAsync(12345, PdHarness.Stats()));
        await AssertInvalid(() => pd.Client.ReportSplitAsync([PdHarness.Region(0, "a", "b", 1, 1, 1)]));
        await AssertInvalid(() => pd.Client.ReportSplitAsync([PdHarness.Region(5, "b", "a", 1, 1, 1)]));
        var region = PdHarness.Region(5, "a", "b", 1, 1, 1);
        await AssertInvalid(() => pd.Client.RegionHeartbeatAsync(PdHarness.Heartbeat(region, 0, 1) with { Leader = new(999, 1, false) }));

        await using var raw = await RpcClient.ConnectAsync(new TransportOptions { ClusterId = pd.Server.ClusterId, StoreId = 0 }, TcpConnector.To(pd.Server.Endpoint), null, default);
        foreach (var method in new[] { PdMethods.AllocId, PdMethods.PutStore, PdMethods.RegionHeartbeat, PdMethods.ReportSplit, PdMethods.GetRegion })
        {
            var error = await Assert.ThrowsAsync<RpcRemoteException>(() => raw.CallAsync(method, [0xc1, 0xff, 0x00], TimeSpan.FromSeconds(5)));
            Assert.Equal(RpcStatus.InvalidArgument, error.Status);
        }
        // Still serving after all that.
        Assert.NotEqual(0UL, await pd.Client.AllocIdAsync());
    }

    [Fact]
    public async Task A_client_connecting_with_discovery_learns_the_cluster_id()
    {
        await using var pd = await PdHarness.StartAsync();
        var discovering = new TransportOptions { ClusterId = TransportOptions.DiscoverCluster, StoreId = 0 };
        await using (var raw = await RpcClient.ConnectAsync(discovering, TcpConnector.To(pd.Server.Endpoint), null, default))
        {
            Assert.Equal(pd.Server.ClusterId, raw.Peer.ClusterId);
        }
        await using var client = new PdClient([pd.Server.Endpoint]);
        Assert.Equal(0UL, client.ClusterId);
        await client.TsoAsync();
        Assert.Equal(pd.Server.ClusterId, client.ClusterId);
    }

    [Fact]
    public async Task A_client_that_knows_its_cluster_refuses_a_PD_of_another_cluster()
    {
        await using var first = await PdHarness.StartAsync();
        await using var other = await PdHarness.StartAsync();
        Assert.NotEqual(first.Server.ClusterId, other.Server.ClusterId);
        var firstEndpoint = first.Server.Endpoint;
        var options = new PdClientOptions { CallTimeout = TimeSpan.FromSeconds(2), ConnectTimeout = TimeSpan.FromSeconds(10) };
        var client = new PdClient([firstEndpoint, other.Server.Endpoint], options);
        await client.AllocIdAsync();
        for (var attempt = 1; client.ClusterId != first.Server.ClusterId && attempt < 5; attempt++)
        {
            // On a loaded machine the first endpoint's handshake can time out, and the client then learns the
            // other cluster: this test needs one that learned the first, so start over.
            await client.DisposeAsync();
            client = new PdClient([firstEndpoint, other.Server.Endpoint], options);
            await client.AllocIdAsync();
        }
        await using var disposeClient = client;
        Assert.Equal(first.Server.ClusterId, client.ClusterId);

        await first.StopServerAsync();
        RpcConnectionException? refusal = null;
        for (var attempt = 0; attempt < 5 && refusal is null; attempt++)
        {
            // The first call may fail on the dead connection; the reconnect then meets only the other cluster.
            var error = await Assert.ThrowsAsync<RpcConnectionException>(() => client.AllocIdAsync());
            if (error.Message.Contains("serves cluster", StringComparison.Ordinal))
            {
                refusal = error;
            }
        }
        Assert.NotNull(refusal);
        Assert.Contains(other.Server.ClusterId.ToString(System.Globalization.CultureInfo.InvariantCulture), refusal.Message, StringComparison.Ordinal);
        Assert.Equal(first.Server.ClusterId, client.ClusterId);
        await first.StartServerAsync(); // So that disposing the harness has a server to stop.
    }

    [Fact]
    public async Task The_client_reconnects_after_PD_restarts_on_the_same_endpoint()
    {
        await using var pd = await PdHarness.StartAsync();
        var endpoint = pd.Server.Endpoint;
        await using var client = new PdClient([endpoint]);
        var before = await client.AllocIdAsync();

        await pd.StopServerAsync();
        await Assert.ThrowsAsync<RpcConnectionException>(() => client.AllocIdAsync()); // Nobody listening.
        var restarted = await PdServer.StartAsync(new PdServerOptions { Listen = endpoint, DataDirectory = pd.Directory });
        ulong after = 0;
        for (var attempt = 0; attempt < 3 && after == 0; attempt++)
        {
            try
            {
                after = await client.AllocIdAsync();
            }
            catch (RpcConnectionException)
            {
                // The call that meets the old, dead connection fails; the next one reconnects.
            }
        }
        Assert.True(after > before);
        Assert.Equal(restarted.ClusterId, client.ClusterId);
        await restarted.DisposeAsync();
        await pd.StartServerAsync(); // So that disposing the harness has a server to stop.
    }

    [Fact]
    public void Endpoints_parse_and_garbage_is_refused_clearly()
    {
        var parsed = PdClient.ParseEndpoints("localhost:2379, 127.0.0.2:80");
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 2379), new IPEndPoint(IPAddress.Parse("127.0.0.2"), 80)], parsed);
        foreach (var garbage in new[] { "", " ", "localhost", "localhost:", ":80", "localhost:0", "localhost:65536", "localhost:http", "127.0.0.1:1,", "[::1]:80" })
        {
            var error = Assert.ThrowsAny<ArgumentException>(() => PdClient.ParseEndpoints(garbage));
            Assert.False(string.IsNullOrWhiteSpace(error.Message));
        }
    }

    private static async Task AssertInvalid(Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<RpcRemoteException>(call);
        Assert.Equal(RpcStatus.InvalidArgument, error.Status);
    }
}
