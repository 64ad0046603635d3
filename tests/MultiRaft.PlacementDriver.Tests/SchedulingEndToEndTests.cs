using System.Diagnostics;
using System.Net;
using MultiRaft.Client;
using MultiRaft.PlacementDriver.Scheduling;
using MultiRaft.PlacementDriver.Scheduling.Schedulers;
using MultiRaft.Store;
using Xunit.Abstractions;

namespace MultiRaft.PlacementDriver.Tests;

/// <summary>PD with its schedulers and three real stores on loopback: a write load on one region gets split
/// and its leaders spread.</summary>
public sealed class SchedulingEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_loaded_region_is_split_and_its_leaders_spread_over_the_stores()
    {
        var root = Path.Combine(Path.GetTempPath(), "multiraft-pd-sched-" + Guid.NewGuid().ToString("N"));
        var scheduling = new SchedulingOptions
        {
            Interval = TimeSpan.FromMilliseconds(200),
            Split = new SplitConfig { MaxKeys = 3_000, MaxBytes = 4 << 20 },
            LoadSplit = new LoadSplitConfig { KeysPerSec = 40, BytesPerSec = 1 << 20, Reports = 2 },
            HotRegion = new HotRegionConfig { MinRegionWriteBytesPerSec = 64 << 10 },
        };
        var pd = await PdServer.StartAsync(new PdServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            DataDirectory = Path.Combine(root, "pd"),
            Scheduling = scheduling,
        });
        var stores = new List<StoreServer>();
        using var stop = new CancellationTokenSource();
        var writers = new List<Task>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                stores.Add(await StoreServer.StartAsync(new StoreOptions
                {
                    DataDirectory = Path.Combine(root, $"store{i}"),
                    Listen = new IPEndPoint(IPAddress.Loopback, 0),
                    PdEndpoints = [pd.Endpoint],
                    TickInterval = TimeSpan.FromMilliseconds(20),
                    RegionHeartbeatInterval = TimeSpan.FromMilliseconds(250),
                    StoreHeartbeatInterval = TimeSpan.FromSeconds(1),
                    BootstrapPollInterval = TimeSpan.FromMilliseconds(20),
                }));
            }
            await using var client = new RawKvClient([pd.Endpoint], new RawKvClientOptions { Timeout = TimeSpan.FromSeconds(20) });
            long written = 0;
            for (var w = 0; w < 4; w++)
            {
                var seed = w;
                writers.Add(Task.Run(async () =>
                {
                    var random = new Random(seed);
                    var value = new byte[64];
                    while (!stop.IsCancellationRequested)
                    {
                        try
                        {
                            await client.PutAsync(System.Text.Encoding.ASCII.GetBytes($"key{random.Next(1_000_000):D7}"), value);
                            Interlocked.Increment(ref written);
                        }
                        catch (Exception e) when (e is UnknownOutcomeException or ClusterUnavailableException)
                        {
                            // Regions split and leaders move under the load: a write may end unknown.
                        }
                    }
                }));
            }

            var clock = Stopwatch.StartNew();
            string state = "";
            var balanced = false;
            while (clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(250);
                var regions = pd.Regions.Snapshot();
                if (regions.Length >= 6 && !stop.IsCancellationRequested)
                {
                    output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: {regions.Length} regions after {Interlocked.Read(ref written)} writes; load stopped");
                    await stop.CancelAsync();
                }
                var leaders = regions.Where(r => r.Leader is not null).GroupBy(r => r.Leader!.Value.StoreId).ToDictionary(g => g.Key, g => g.Count());
                var most = leaders.Count == 0 ? 0 : leaders.Values.Max();
                state = $"{regions.Length} regions, leaders per store: {string.Join(", ", stores.Select(s => leaders.GetValueOrDefault(s.StoreId)))}";
                // The bound the test asserts is ceil(n/3) + 1; balance-leader goes on to ceil(n/3) (its counts
                // end at most one apart), so wait for that, and accept the looser bound at the deadline.
                balanced = stop.IsCancellationRequested && regions.All(r => r.Leader is not null) && most <= (regions.Length + 2) / 3 + 1;
                if (balanced && most <= (regions.Length + 2) / 3)
                {
                    output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: balanced: {state}");
                    break;
                }
            }
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            foreach (var op in pd.Operators!.History())
            {
                output.WriteLine($"{op.Id} {op.Kind} region {op.RegionId} by {op.Scheduler} ({op.Reason}): {op.State} {op.Outcome}");
            }
            Assert.True(balanced, $"not balanced within 60 s: {state}");
            var history = pd.Operators.History();
            Assert.Contains(history, op => op.Kind == OperatorKind.Split && op.State == OperatorState.Finished);
            Assert.Contains(history, op => op.Kind == OperatorKind.TransferLeader && op.State == OperatorState.Finished);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
            await pd.DisposeAsync();
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }
    }
}
