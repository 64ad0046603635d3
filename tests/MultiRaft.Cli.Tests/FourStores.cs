using MultiRaft.Protocol.Metadata;
using MultiRaft.Store.Tests;

namespace MultiRaft.Cli.Tests;

/// <summary>A cluster of four stores (three replicas per region, so one store is free to take one) with PD's
/// schedulers and HTTP API, some schedulers switched off through the CLI so that they move nothing a test moves.</summary>
internal static class FourStores
{
    public static async Task<TestCluster> StartAsync(params string[] switchedOff)
    {
        var cluster = await TestCluster.StartAsync(stores: 4, withPdScheduling: true);
        try
        {
            foreach (var name in switchedOff)
            {
                Assert.Equal(0, (await Cli.RunAsync("scheduler", "disable", name, "--pd", cluster.Pd.Endpoint.ToString())).ExitCode);
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The store without a replica of <paramref name="region"/>.</summary>
    public static ulong Spare(TestCluster cluster, RegionInfo region) => cluster.Stores.Select(s => s!.StoreId).Single(s => region.PeerOnStore(s) is null);
}
