using System.Text;
using MultiRaft.Protocol.Admin;
using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Store.Tests;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Client.Tests;

/// <summary>What the tests do to a cluster behind the client's back: splits and leader transfers through the
/// stores' admin RPC, and waiting for a condition.</summary>
internal static class ClusterOps
{
    /// <summary>A started cluster whose first region has a leader.</summary>
    public static async Task<TestCluster> StartClusterAsync(Func<Store.StoreOptions, Store.StoreOptions>? tune = null)
    {
        var cluster = await TestCluster.StartAsync(tune: tune);
        try
        {
            await LeaderAsync(cluster, B("a"));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary><see cref="TestCluster.WaitForLeaderAsync"/>, asking PD again when its connection fails: on this
    /// 2-core machine a handshake with PD sometimes takes longer than PdClient's 3 s while the stores start.</summary>
    public static async Task<(RegionInfo Region, PeerInfo Leader)> LeaderAsync(TestCluster cluster, byte[] key)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await cluster.WaitForLeaderAsync(key);
            }
            catch (RpcConnectionException) when (attempt < 3)
            {
            }
        }
    }

    public static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    public static string S(byte[] b) => Encoding.UTF8.GetString(b);

    /// <summary>Splits the region holding <paramref name="keyInRegion"/> at <paramref name="splitKeys"/> (at most
    /// 64, ascending, inside it), asking its current leader; returns the regions after the split.</summary>
    public static async Task<RegionInfo[]> SplitAsync(TestCluster cluster, byte[] keyInRegion, IReadOnlyList<byte[]> splitKeys)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var (region, leader) = await LeaderAsync(cluster, keyInRegion);
            if (cluster.StoreById(leader.StoreId) is { } store)
            {
                await using var rpc = await cluster.ConnectAsync(store);
                var answer = await TestCluster.CallAsync<SplitRequest, SplitResponse>(rpc, AdminMethods.Split,
                    new SplitRequest(new RegionContext(region.Id, region.Epoch), [.. splitKeys]));
                if (answer.Error is null)
                {
                    return answer.Regions;
                }
                // NotLeader or EpochNotMatch: PD's view was behind; nothing happened, so ask again.
                Assert.True(answer.Error.Kind is RegionErrorKind.NotLeader or RegionErrorKind.EpochNotMatch, answer.Error.ToString());
            }
            Assert.True(DateTime.UtcNow < deadline, "could not split within 20 s");
            await Task.Delay(50);
        }
    }

    /// <summary>Moves the leadership of the region holding <paramref name="key"/> to another voter and waits
    /// until that voter serves reads; returns the new leader.</summary>
    public static async Task<PeerInfo> TransferLeaderAsync(TestCluster cluster, byte[] key)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var (region, leader) = await LeaderAsync(cluster, key);
            var target = Array.Find(region.Peers, p => !p.IsLearner && p.Id != leader.Id && cluster.StoreById(p.StoreId) is not null);
            if (cluster.StoreById(leader.StoreId) is { } store && target.Id != 0)
            {
                var context = new RegionContext(region.Id, region.Epoch);
                await using (var rpc = await cluster.ConnectAsync(store))
                {
                    var answer = await TestCluster.CallAsync<TransferLeaderRequest, AdminResponse>(rpc, AdminMethods.TransferLeader, new TransferLeaderRequest(context, target.Id));
                    Assert.True(answer.Error is null || answer.Error.Kind is RegionErrorKind.NotLeader or RegionErrorKind.EpochNotMatch, answer.Error?.ToString());
                }
                await using var to = await cluster.ConnectAsync(cluster.StoreById(target.StoreId)!);
                for (var i = 0; i < 40; i++)
                {
                    var read = await TestCluster.CallAsync<GetRequest, GetResponse>(to, KvMethods.Get, new GetRequest(context, key));
                    if (read.Error is null)
                    {
                        return target;
                    }
                    await Task.Delay(25);
                }
            }
            Assert.True(DateTime.UtcNow < deadline, "could not move the leader within 20 s");
        }
    }

    public static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }
}
