using System.Collections.Concurrent;
using System.Net;
using System.Text;
using MultiRaft.Client;
using MultiRaft.PlacementDriver;
using MultiRaft.Transport.Rpc;
using Xunit.Abstractions;

namespace MultiRaft.Store.Tests;

/// <summary>Real store processes under a write load; the leader's process is killed with SIGKILL and
/// restarted. Every write that was acknowledged must be there afterwards.</summary>
public sealed class StoreKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_store_killed_under_load_recovers_and_no_acknowledged_write_is_lost()
    {
        var root = Path.Combine(Path.GetTempPath(), "multiraft-kill-tests", Guid.NewGuid().ToString("N"));
        await using var pd = await PdServer.StartAsync(new PdServerOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0), DataDirectory = Path.Combine(root, "pd") });
        var stores = Enumerable.Range(0, 3).Select(i => new StoreProcess(Path.Combine(root, $"store{i}"), pd.Endpoint, StoreProcess.FreePort())).ToArray();
        try
        {
            foreach (var store in stores)
            {
                store.Start();
            }
            await using var client = new RawKvClient([pd.Endpoint], new RawKvClientOptions { Timeout = TimeSpan.FromSeconds(30) });
            await client.PutAsync("warmup"u8.ToArray(), "1"u8.ToArray());

            var acknowledged = new ConcurrentBag<string>();
            var unknown = 0;
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var key = $"w{w}-{i:D6}";
                    try
                    {
                        await client.PutAsync(Encoding.UTF8.GetBytes(key), "x"u8.ToArray());
                        acknowledged.Add(key);
                    }
                    catch (UnknownOutcomeException)
                    {
                        Interlocked.Increment(ref unknown);
                    }
                }
            })).ToArray();

            await Task.Delay(1000);
            var (leaderStore, leaderPort) = await LeaderAsync(pd);
            var victim = Array.FindIndex(stores, s => s.Port == leaderPort);
            output.WriteLine($"killing store {leaderStore} (process {victim}) after {acknowledged.Count} writes");
            stores[victim].Kill();
            await Task.Delay(2500);
            stores[victim].Start();
            await Task.Delay(2500);
            stop.Cancel();
            await Task.WhenAll(writers);
            output.WriteLine($"{acknowledged.Count} writes acknowledged, {unknown} with unknown outcome");

            // Kill another store: the restarted one is now needed for every quorum.
            var other = (victim + 1) % stores.Length;
            stores[other].Kill();
            await using var reader = new RawKvClient([pd.Endpoint], new RawKvClientOptions { Timeout = TimeSpan.FromSeconds(30) });
            var present = (await reader.ScanAsync("w"u8.ToArray(), "x"u8.ToArray(), 1_000_000)).Select(p => Encoding.UTF8.GetString(p.Key)).ToHashSet();
            var lost = acknowledged.Where(k => !present.Contains(k)).ToList();
            Assert.True(lost.Count == 0, $"{lost.Count} acknowledged writes lost, e.g. {string.Join(", ", lost.Take(5))}");
            Assert.True(acknowledged.Count > 100, $"only {acknowledged.Count} writes were acknowledged");
        }
        finally
        {
            foreach (var store in stores)
            {
                store.Dispose();
            }
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The store leading the first region, and the port it serves on.</summary>
    private static async Task<(ulong StoreId, int Port)> LeaderAsync(PdServer pd)
    {
        await using var client = new PdClient([pd.Endpoint]);
        for (var attempt = 0; attempt < 200; attempt++)
        {
            if ((await client.GetRegionAsync("a"u8.ToArray())).Leader is { } leader)
            {
                var store = await client.GetStoreAsync(leader.StoreId);
                return (leader.StoreId, IPEndPoint.Parse(store!.Address).Port);
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("PD never learned a leader");
    }
}
