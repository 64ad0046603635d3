using MultiRaft.Protocol.Metadata;

namespace MultiRaft.PlacementDriver.Tests;

public class BootstrapTests
{
    [Fact]
    public async Task Bootstraps_once_after_MaxReplicas_stores_with_exactly_those_stores_and_survives_restart()
    {
        await using var pd = await PdHarness.StartAsync();
        var s1 = await pd.Client.PutStoreAsync(0, "127.0.0.1:1", null);
        var s2 = await pd.Client.PutStoreAsync(0, "127.0.0.1:2", null);
        Assert.False((await pd.Client.GetClusterAsync()).Bootstrapped);
        Assert.Null(await pd.Client.GetBootstrapRegionAsync(s1));
        Assert.Null((await pd.Client.GetRegionAsync([])).Region);

        var s3 = await pd.Client.PutStoreAsync(0, "127.0.0.1:3", null);
        Assert.True((await pd.Client.GetClusterAsync()).Bootstrapped);
        var region = await pd.Client.GetBootstrapRegionAsync(s2);
        Assert.NotNull(region);
        Assert.Empty(region.StartKey);
        Assert.Empty(region.EndKey);
        Assert.Equal(new EpochInfo(1, 1), region.Epoch);
        Assert.Equal([s1, s2, s3], region.Peers.Select(p => p.StoreId));
        Assert.All(region.Peers, p => Assert.False(p.IsLearner));
        Assert.Equal(region.Peers.Length, region.Peers.Select(p => p.Id).Distinct().Count());
        Assert.DoesNotContain(region.Id, region.Peers.Select(p => p.Id));
        Assert.Equal(region, (await pd.Client.GetRegionAsync(PdHarness.Key("any key"))).Region);

        var s4 = await pd.Client.PutStoreAsync(0, "127.0.0.1:4", null);
        Assert.Null(await pd.Client.GetBootstrapRegionAsync(s4));

        await pd.RestartAsync();
        Assert.True((await pd.Client.GetClusterAsync()).Bootstrapped);
        Assert.Equal(region, await pd.Client.GetBootstrapRegionAsync(s3));
        Assert.Equal(region, (await pd.Client.GetRegionByIdAsync(region.Id)).Region);
        await pd.Client.PutStoreAsync(0, "127.0.0.1:5", null);
        Assert.Equal(region, await pd.Client.GetBootstrapRegionAsync(s1)); // Never a second bootstrap.
        Assert.Single(await pd.Client.ScanRegionsAsync([], [], 100));
    }

    [Fact]
    public async Task Only_stores_that_are_up_count_and_GetBootstrapRegion_checks_again()
    {
        await using var pd = await PdHarness.StartAsync(o => o with { MaxReplicas = 2 });
        var s1 = await pd.Client.PutStoreAsync(0, "127.0.0.1:1", null);
        pd.Clock.Advance(TimeSpan.FromMinutes(1)); // s1 is down now.
        var s2 = await pd.Client.PutStoreAsync(0, "127.0.0.1:2", null);
        Assert.False((await pd.Client.GetClusterAsync()).Bootstrapped);

        await pd.Client.StoreHeartbeatAsync(s1, PdHarness.Stats());
        var region = await pd.Client.GetBootstrapRegionAsync(s2);
        Assert.NotNull(region);
        Assert.Equal([s1, s2], region.Peers.Select(p => p.StoreId));
    }
}
