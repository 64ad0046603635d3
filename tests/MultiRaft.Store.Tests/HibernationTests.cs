using System.Text;
using MultiRaft.Protocol.Admin;
using MultiRaft.Protocol.Kv;

namespace MultiRaft.Store.Tests;

/// <summary>Idle regions stop ticking on every replica; traffic wakes them with correct reads, and a leader
/// lost while its region slept is replaced once requests arrive.</summary>
public sealed class HibernationTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static async Task<TestCluster> ClusterWithRegionsAsync(int splitKeys)
    {
        var cluster = await TestCluster.StartAsync(tune: o => o with { HibernateAfterTicks = 10 });
        var (region, leader) = await cluster.WaitForLeaderAsync();
        await using var rpc = await cluster.ConnectAsync(cluster.StoreById(leader.StoreId)!);
        var split = await TestCluster.CallAsync<SplitRequest, SplitResponse>(rpc, AdminMethods.Split,
            new SplitRequest(new RegionContext(region.Id, region.Epoch), [.. Enumerable.Range(1, splitKeys).Select(i => B($"k{i:D3}"))]));
        Assert.Null(split.Error);
        return cluster;
    }

    [Fact]
    public async Task Idle_regions_hibernate_on_every_store_and_wake_for_traffic()
    {
        await using var cluster = await ClusterWithRegionsAsync(19);
        await Wait.Until(() => cluster.Stores.All(s => s!.RegionCount == 20 && s.HibernatingCount == 20), "all 20 regions sleep on every store");

        await using var client = cluster.NewClient();
        await client.PutAsync(B("k005x"), B("awake"));
        Assert.True(cluster.Stores.Any(s => s!.HibernatingCount < 20), "the written region woke");
        Assert.Equal(B("awake"), await client.GetAsync(B("k005x")));
        Assert.Null(await client.GetAsync(B("k017x")));

        await Wait.Until(() => cluster.Stores.All(s => s!.HibernatingCount == 20), "the region sleeps again");
        Assert.Equal(B("awake"), await client.GetAsync(B("k005x")));
    }

    [Fact]
    public async Task A_leader_lost_while_its_region_slept_is_replaced_when_requests_arrive()
    {
        await using var cluster = await ClusterWithRegionsAsync(3);
        await using (var writer = cluster.NewClient())
        {
            await writer.PutAsync(B("k002x"), B("before"));
        }
        await Wait.Until(() => cluster.Stores.All(s => s!.HibernatingCount == 4), "all regions sleep");
        var leaderIndex = Array.FindIndex(cluster.Stores, s => s!.LeaderCount > 0);
        await cluster.StopStoreAsync(leaderIndex);

        await using var client = cluster.NewClient(TimeSpan.FromSeconds(20));
        Assert.Equal(B("before"), await client.GetAsync(B("k002x")));
        await client.PutAsync(B("k002y"), B("after"));
        Assert.Equal(B("after"), await client.GetAsync(B("k002y")));
    }

    [Fact]
    public async Task A_leader_serving_only_reads_stays_awake_and_sleeps_once_they_stop()
    {
        await using var cluster = await TestCluster.StartAsync(tune: o => o with { HibernateAfterTicks = 10 });
        var (_, leader) = await cluster.WaitForLeaderAsync();
        var leaderStore = cluster.StoreById(leader.StoreId)!;
        await using var client = cluster.NewClient();
        await client.PutAsync(B("k"), B("read me"));

        // Reads every 30 ms for four times the idle span after which a region sleeps (10 ticks of 40 ms),
        // watched every 2 ms: asleep, the leader would serve each read only after a heartbeat round.
        using var watching = new CancellationTokenSource();
        var sleptWhileRead = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                if (leaderStore.HibernatingCount > 0)
                {
                    return true;
                }
                await Task.Delay(2, CancellationToken.None);
            }
            return false;
        }, CancellationToken.None);
        for (var deadline = DateTime.UtcNow.AddSeconds(1.6); DateTime.UtcNow < deadline;)
        {
            Assert.Equal(B("read me"), await client.GetAsync(B("k")));
            await Task.Delay(30);
        }
        await watching.CancelAsync();

        Assert.False(await sleptWhileRead, "the leader slept while it served reads");
        await Wait.Until(() => cluster.Stores.All(s => s!.HibernatingCount == 1), "the region sleeps once reads stop");
    }
}
