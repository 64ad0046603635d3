using static MultiRaft.Client.Tests.ClusterOps;

namespace MultiRaft.Client.Tests;

/// <summary>Log GC while both Raft workers of every store compact regions at the same time.</summary>
public sealed class LogGcTests
{
    [Fact]
    public async Task Many_regions_compacting_at_once_keep_every_store_running_and_every_write()
    {
        // A tiny threshold makes nearly every round of every worker compact some region (a shared compactor
        // once crashed stores this way under `bench scale-out`).
        await using var cluster = await StartClusterAsync(o => o with { LogGcThresholdEntries = 5, RaftWorkers = 2 });
        await SplitAsync(cluster, B("a"), [B("b"), B("c"), B("d"), B("e"), B("f"), B("g"), B("h")]);
        await using var client = cluster.NewClient();

        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var key = B($"{(char)('a' + w)}-key");
            for (var i = 1; i <= 150; i++)
            {
                await client.PutAsync(key, B($"{i}"));
            }
        })).ToArray();
        await Task.WhenAll(writers);

        Assert.All(cluster.Stores, s => Assert.False(s!.Stopped.IsCompleted, $"store {s.StoreId} stopped: {s.Stopped.Exception?.InnerException?.Message}"));
        for (var w = 0; w < 8; w++)
        {
            Assert.Equal("150", S((await client.GetAsync(B($"{(char)('a' + w)}-key")))!));
        }
    }
}
