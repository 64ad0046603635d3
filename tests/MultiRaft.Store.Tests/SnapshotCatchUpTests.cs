using System.Text;

namespace MultiRaft.Store.Tests;

/// <summary>Log GC cuts the leader's log while a follower is away; the follower comes back to a log that no
/// longer holds what it missed, so it must catch up from a streamed snapshot.</summary>
public sealed class SnapshotCatchUpTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task A_follower_behind_the_compacted_log_catches_up_by_snapshot()
    {
        await using var cluster = await TestCluster.StartAsync(tune: o => o with { LogGcThresholdEntries = 20 });
        var (_, leader) = await cluster.WaitForLeaderAsync();
        await using var client = cluster.NewClient();
        await client.PutAsync(B("before"), B("outage"));
        var victim = Array.FindIndex(cluster.Stores, s => s!.StoreId != leader.StoreId);
        await cluster.StopStoreAsync(victim);

        for (var i = 0; i < 300; i++)
        {
            await client.PutAsync(B($"s{i:D4}"), B($"v{i}"));
        }
        await client.DeleteAsync(B("before"));
        await cluster.StartStoreAsync(victim);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (cluster.Stores[victim]!.SnapshotsInstalled == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.True(cluster.Stores[victim]!.SnapshotsInstalled > 0, "the returning follower never installed a snapshot");

        // Without the old leader, the returned store is needed for a quorum: it must hold every write.
        var leaderIndex = Array.FindIndex(cluster.Stores, s => s!.StoreId == leader.StoreId);
        await Task.Delay(300); // Let the follower apply entries that followed the snapshot.
        await cluster.StopStoreAsync(leaderIndex);
        await using var after = cluster.NewClient();
        var pairs = await after.ScanAsync(B("s"), B("t"), 1000);
        Assert.Equal(300, pairs.Count);
        Assert.Equal(B("v299"), pairs[^1].Value);
        Assert.Null(await after.GetAsync(B("before")));
    }
}
