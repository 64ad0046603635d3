using System.Text;
using MultiRaft.Protocol.Admin;
using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Store.Tests;

/// <summary>A thousand regions over three stores: every store hosts every region, PD routes all of them, data
/// lands in the right one, and the idle ones go to sleep.</summary>
public sealed class ManyRegionsTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task A_thousand_regions_over_three_stores_serve_and_then_sleep()
    {
        await using var cluster = await TestCluster.StartAsync(tune: o => o with { TickInterval = TimeSpan.FromMilliseconds(50) });
        var (region, leader) = await cluster.WaitForLeaderAsync();
        await using var rpc = await cluster.ConnectAsync(cluster.StoreById(leader.StoreId)!);
        var keys = Enumerable.Range(1, 999).Select(i => B($"r{i:D4}")).ToArray();
        for (var done = 0; done < keys.Length;)
        {
            var batch = keys.Skip(done).Take(64).ToArray();
            region = await SplitAsync(rpc, region, batch);
            done += batch.Length;
        }
        // Followers create their 999 new peers as they apply the splits: on a CI machine running every test
        // project at once that has taken over 20 s.
        await Wait.Until(() => cluster.Stores.All(s => s!.RegionCount == 1000), "every store hosts 1,000 regions", seconds: 90);

        await using var pd = new PdClient([cluster.Pd.Endpoint]);
        await Wait.Until(() => pd.ScanRegionsAsync([], [], 10_000).GetAwaiter().GetResult().Length == 1000, "PD routes 1,000 regions", seconds: 60);

        await using var client = cluster.NewClient();
        var sample = Enumerable.Range(0, 50).Select(i => $"r{i * 20 + 1:D4}-x").ToArray();
        foreach (var key in sample)
        {
            await client.PutAsync(B(key), B(key));
        }
        foreach (var key in sample)
        {
            Assert.Equal(B(key), await client.GetAsync(B(key)));
        }
        Assert.Equal(sample.Order(StringComparer.Ordinal), (await client.ScanAsync(B("r"), B("s"), 10_000)).Select(p => Encoding.UTF8.GetString(p.Key)));
        await Wait.Until(() => cluster.Stores.All(s => s!.HibernatingCount == 1000), "all 1,000 regions sleep on every store", seconds: 60);
    }

    /// <summary>Splits the region at the keys (retrying while the new last region elects its leader) and returns
    /// the last region it made, which the next keys fall into.</summary>
    private static async Task<RegionInfo> SplitAsync(RpcClient rpc, RegionInfo region, byte[][] keys)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var split = await TestCluster.CallAsync<SplitRequest, SplitResponse>(rpc, AdminMethods.Split,
                new SplitRequest(new RegionContext(region.Id, region.Epoch), keys));
            if (split.Error is null)
            {
                return split.Regions[^1];
            }
            Assert.True(split.Error.Kind == RegionErrorKind.NotLeader && DateTime.UtcNow < deadline, $"split failed: {split.Error}");
            await Task.Delay(50);
        }
    }
}
