using System.Net;
using MultiRaft.PlacementDriver.Storage;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.PlacementDriver.Tests;

/// <summary>A "crash" here is a copy of the data directory taken while PD runs: exactly what the disk holds
/// at that moment, with no clean shutdown to flush anything.</summary>
public class CrashTests
{
    [Fact]
    public async Task Ids_timestamps_and_stores_are_durable_when_answered()
    {
        await using var pd = await PdHarness.StartAsync();
        var store = await pd.Client.PutStoreAsync(0, "127.0.0.1:7", null);
        var id = await pd.Client.AllocIdAsync(3);
        var ts = await pd.Client.TsoAsync();

        await using var copy = await StartOnCopyAsync(pd);
        Assert.Equal(pd.Server.ClusterId, copy.Server.ClusterId);
        Assert.NotNull(await copy.Client.GetStoreAsync(store));
        Assert.True(await copy.Client.AllocIdAsync() > id + 2);
        Assert.True(await copy.Client.TsoAsync() > ts);
    }

    [Fact]
    public async Task Region_changes_reach_disk_within_the_flush_interval()
    {
        await using var pd = await PdHarness.StartAsync(o => o with { RegionFlushInterval = TimeSpan.FromMilliseconds(20) });
        var region = PdHarness.Region(10, "", "", 1, 1, 1, 2, 3);
        await pd.Client.RegionHeartbeatAsync(PdHarness.Heartbeat(region, 1, 4));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var directory = CopyOf(pd.Directory);
            try
            {
                using var metadata = MetadataStore.Open(directory);
                if (metadata.Recovered.Regions.TryGetValue(10, out var persisted))
                {
                    Assert.Equal(region, persisted.Region);
                    Assert.Equal(region.Peers[1], persisted.Leader);
                    Assert.Equal(4UL, persisted.Term);
                    return;
                }
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
            Assert.True(DateTime.UtcNow < deadline, "the region never reached the disk");
            await Task.Delay(20);
        }
    }

    private static async Task<CopiedPd> StartOnCopyAsync(PdHarness pd)
    {
        var directory = CopyOf(pd.Directory);
        var server = await PdServer.StartAsync(new PdServerOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0), DataDirectory = directory, Clock = pd.Clock });
        return new CopiedPd(server, new PdClient([server.Endpoint]), directory);
    }

    private static string CopyOf(string directory)
    {
        var copy = directory + "-copy-" + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(directory, "meta-*"))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }
        return copy;
    }

    private sealed record CopiedPd(PdServer Server, PdClient Client, string Directory) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Server.DisposeAsync();
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
