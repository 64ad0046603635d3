using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Text;
using MultiRaft.PlacementDriver;
using MultiRaft.Protocol;
using MultiRaft.Protocol.Admin;
using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Pd;
using MultiRaft.Store;
using MultiRaft.Transport.Connections;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Cli;

/// <summary><c>multiraft soak idle-regions</c>: what idle regions cost. Starts PD and three stores in this
/// process (in a temporary directory), splits the key space into N regions, waits until every replica
/// hibernates, and measures the process's CPU time over a quiet window.</summary>
internal static class IdleRegionsCommand
{
    private const int SplitKeysPerCall = 64;

    public static Command Create()
    {
        var regions = new Option<int>("--regions") { Description = "how many regions (each with 3 replicas)", DefaultValueFactory = _ => 10_000 };
        var measure = new Option<int>("--measure-seconds") { Description = "length of the quiet window measured", DefaultValueFactory = _ => 20 };
        var command = new Command("idle-regions", """
            Measure the CPU that idle regions cost: PD and 3 stores in this process, the key space split into
            --regions regions, every replica asleep (hibernated), then CPU time over --measure-seconds.
            Example: multiraft soak idle-regions --regions 10000 --measure-seconds 20
            """)
        {
            regions, measure,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var count = parse.GetValue(regions);
            var seconds = parse.GetValue(measure);
            if (count is < 1 or > 100_000 || seconds is < 1 or > 3600)
            {
                return CliDefaults.Fail("--regions must be 1..100000 and --measure-seconds 1..3600", 2);
            }
            return await RunAsync(count, TimeSpan.FromSeconds(seconds), cancellation).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(int regionCount, TimeSpan window, CancellationToken cancellation)
    {
        var root = Path.Combine(Path.GetTempPath(), "multiraft-idle-" + Guid.NewGuid().ToString("N"));
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        var clock = Stopwatch.StartNew();
        await using var pd = await PdServer.StartAsync(new PdServerOptions { Listen = loopback, DataDirectory = Path.Combine(root, "pd") }, cancellation).ConfigureAwait(false);
        var stores = new List<StoreServer>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                stores.Add(await StoreServer.StartAsync(new StoreOptions
                {
                    DataDirectory = Path.Combine(root, $"store{i}"),
                    Listen = loopback,
                    PdEndpoints = [pd.Endpoint],
                }, cancellation).ConfigureAwait(false));
            }
            await SplitAsync(pd, stores, regionCount, cancellation).ConfigureAwait(false);
            Console.WriteLine($"{regionCount} regions on 3 stores after {clock.Elapsed.TotalSeconds:0.0} s; waiting for every replica to sleep");
            while (stores.Any(s => s.RegionCount != regionCount || s.HibernatingCount != regionCount))
            {
                await Task.Delay(200, cancellation).ConfigureAwait(false);
            }
            Console.WriteLine($"all {3 * regionCount} replicas asleep after {clock.Elapsed.TotalSeconds:0.0} s; measuring {window.TotalSeconds:0} s");
            var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            await Task.Delay(window, cancellation).ConfigureAwait(false);
            process.Refresh();
            var share = (process.TotalProcessorTime - cpuBefore).TotalSeconds / wall.Elapsed.TotalSeconds;
            var awake = stores.Sum(s => regionCount - s.HibernatingCount);
            Console.WriteLine($"idle CPU: {share * 100:0.00}% of one core for the whole process (PD + 3 stores), " +
                $"{share * 100 / 3:0.00}% per store with {regionCount} regions each; {awake} replicas woke during the window");
            return 0;
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }
            TryDelete(root);
        }
    }

    /// <summary>Splits the single first region into <paramref name="regionCount"/> regions, 64 keys per split,
    /// always splitting the last region made (its leader is on the store that led the first).</summary>
    private static async Task SplitAsync(PdServer pd, List<StoreServer> stores, int regionCount, CancellationToken cancellation)
    {
        await using var pdClient = new PdClient([pd.Endpoint]);
        GetRegionResponse first;
        while ((first = await pdClient.GetRegionAsync([0x01], cancellation).ConfigureAwait(false)).Leader is null)
        {
            await Task.Delay(100, cancellation).ConfigureAwait(false);
        }
        var leaderStore = stores.First(s => s.StoreId == first.Leader.Value.StoreId);
        await using var rpc = await RpcClient.ConnectAsync(new TransportOptions { ClusterId = pd.ClusterId, StoreId = 0, MaxFrameBytes = 64 << 20 },
            TcpConnector.To(leaderStore.Endpoint), leaderStore.StoreId, cancellation).ConfigureAwait(false);
        var region = first.Region!;
        for (var next = 1; next < regionCount;)
        {
            var keys = Enumerable.Range(next, Math.Min(SplitKeysPerCall, regionCount - next)).Select(i => Encoding.UTF8.GetBytes($"idle/{i:D6}")).ToArray();
            var request = new SplitRequest(new RegionContext(region.Id, region.Epoch), keys);
            var answer = ProtocolSerializer.Deserialize<SplitResponse>(new System.Buffers.ReadOnlySequence<byte>(
                await rpc.CallAsync(AdminMethods.Split, ProtocolSerializer.Serialize(request), TimeSpan.FromSeconds(30), cancellation).ConfigureAwait(false)));
            if (answer.Error is { Kind: RegionErrorKind.NotLeader })
            {
                await Task.Delay(50, cancellation).ConfigureAwait(false); // The last region is still electing.
                continue;
            }
            if (answer.Error is not null)
            {
                throw new InvalidOperationException($"split failed: {answer.Error}");
            }
            region = answer.Regions[^1];
            next += keys.Length;
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
