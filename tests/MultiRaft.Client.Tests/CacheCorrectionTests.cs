using MultiRaft.Store.Tests;
using static MultiRaft.Client.Tests.ClusterOps;

namespace MultiRaft.Client.Tests;

/// <summary>Each kind of refusal corrects the client's region cache, and the call still succeeds.</summary>
public sealed class CacheCorrectionTests
{
    [Fact]
    public async Task NotLeader_with_a_hint_moves_the_cached_leader()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (region, leader) = await LeaderAsync(cluster, B("a"));
        await using var client = cluster.NewClient();
        await client.PutAsync(B("k"), B("1"));
        Assert.Equal(leader.StoreId, client.Cache.Find(B("k"))!.Leader!.Value.StoreId);

        var moved = await TransferLeaderAsync(cluster, B("k"));
        Assert.Equal(B("1"), await client.GetAsync(B("k")));
        await client.PutAsync(B("k"), B("2"));
        var cached = client.Cache.Find(B("k"))!;
        Assert.Equal(moved, cached.Leader!.Value);
        Assert.Equal(region.Id, cached.Region.Id);
        Assert.Equal(B("2"), await client.GetAsync(B("k")));
    }

    [Fact]
    public async Task EpochNotMatch_after_a_split_and_KeyNotInRegion_replace_the_cached_region()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (region, _) = await LeaderAsync(cluster, B("a"));
        await using var client = cluster.NewClient();
        await client.PutAsync(B("c"), B("C"));
        await client.PutAsync(B("x"), B("X"));
        Assert.Equal(region.Epoch, client.Cache.Find(B("x"))!.Region.Epoch);

        var split = await SplitAsync(cluster, B("c"), [B("m")]);
        // The cache still holds the region before the split: the store answers EpochNotMatch with its shape now.
        Assert.Equal(region.Epoch, client.Cache.Find(B("x"))!.Region.Epoch);
        Assert.Equal(B("X"), await client.GetAsync(B("x")));
        Assert.Equal(B("C"), await client.GetAsync(B("c")));
        Assert.Equal(split[1].Id, client.Cache.Find(B("x"))!.Region.Id);
        Assert.Equal(split[0].Epoch, client.Cache.Find(B("c"))!.Region.Epoch);

        // A region with the current epoch but a range it no longer has: KeyNotInRegion, then PD.
        var left = client.Cache.Find(B("c"))!;
        client.Cache.Put(left.Region with { EndKey = [] }, left.Leader);
        Assert.Equal(left.Region.Id, client.Cache.Find(B("x"))!.Region.Id);
        await client.PutAsync(B("y"), B("Y"));
        Assert.Equal(split[1].Id, client.Cache.Find(B("y"))!.Region.Id);
        Assert.Equal(["c", "x", "y"], (await client.ScanAsync([], [], 10)).Select(p => S(p.Key)));
    }

    [Fact]
    public async Task RegionNotFound_drops_the_cached_region()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (region, leader) = await LeaderAsync(cluster, B("a"));
        await using var client = cluster.NewClient();
        await client.PutAsync(B("k"), B("1"));

        // A region no store has ever hosted, cached over the whole key space.
        client.Cache.Put(region with { Id = 999_999 }, leader);
        Assert.Equal(999_999ul, client.Cache.Find(B("k"))!.Region.Id);
        Assert.Equal(B("1"), await client.GetAsync(B("k")));
        Assert.Equal(region.Id, client.Cache.Find(B("k"))!.Region.Id);

        client.Cache.Put(region with { Id = 999_999 }, leader);
        await client.BatchPutAsync([new(B("k"), B("2")), new(B("l"), B("3"))]);
        Assert.Equal(region.Id, client.Cache.Find(B("k"))!.Region.Id);
        Assert.Equal([B("2"), B("3")], (await client.BatchGetAsync([B("k"), B("l")])).Select(p => p.Value));
    }

    [Fact]
    public async Task A_store_that_cannot_be_reached_sends_the_client_to_another_voter()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (_, leader) = await LeaderAsync(cluster, B("a"));
        await using var client = cluster.NewClient();
        await client.PutAsync(B("k"), B("1"));
        Assert.Equal(leader.StoreId, client.Cache.Find(B("k"))!.Leader!.Value.StoreId);

        await cluster.StopStoreAsync(Array.FindIndex(cluster.Stores, s => s?.StoreId == leader.StoreId));
        Assert.Equal(B("1"), await client.GetAsync(B("k")));
        await client.PutAsync(B("k"), B("2"));
        await client.BatchPutAsync([new(B("a"), B("A")), new(B("z"), B("Z"))]);
        var cached = client.Cache.Find(B("k"))!.Leader!.Value;
        Assert.NotEqual(leader.StoreId, cached.StoreId);
        Assert.NotNull(cluster.StoreById(cached.StoreId));
        Assert.Equal(["a", "k", "z"], (await client.ScanAsync([], [], 10)).Select(p => S(p.Key)));
        Assert.Equal(B("2"), await client.GetAsync(B("k")));
    }
}
