using System.Diagnostics;
using MultiRaft.Protocol.Kv;
using static MultiRaft.Client.Tests.ClusterOps;

namespace MultiRaft.Client.Tests;

/// <summary>With no quorum, every call ends by its deadline with a typed exception; none hangs.</summary>
public sealed class DeadlineTests
{
    [Fact]
    public async Task Calls_end_by_their_deadline_when_the_cluster_is_unavailable()
    {
        await using var cluster = await StartClusterAsync();
        await using (var warm = cluster.NewClient())
        {
            await warm.PutAsync(B("k"), B("v"));
        }
        await cluster.StopStoreAsync(1);
        await cluster.StopStoreAsync(2);
        // A leader left alone may still read under its lease (rightly: no other leader can exist before it
        // expires). The lease runs 9 ticks of 40 ms on the real clock, even for a leader that went to sleep
        // with the region idle and so never notices it lost its quorum; after it, nothing can be served.
        await Task.Delay(TimeSpan.FromSeconds(1));
        await using var client = cluster.NewClient(TimeSpan.FromSeconds(2));

        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<ClusterUnavailableException>(() => client.GetAsync(B("k")));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(4));

        clock.Restart();
        var put = await Record.ExceptionAsync(() => client.PutAsync(B("k"), B("w")));
        Assert.True(put is ClusterUnavailableException or UnknownOutcomeException, $"got {put?.GetType().Name ?? "no exception"}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"the put took {clock.Elapsed}");

        clock.Restart();
        await Assert.ThrowsAsync<ClusterUnavailableException>(() => client.BatchGetAsync([B("k"), B("z")]));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"the batch get took {clock.Elapsed}");

        clock.Restart();
        var batch = await Record.ExceptionAsync(() => client.BatchPutAsync([new KvEntry(B("k"), B("1")), new KvEntry(B("z"), B("2"))]));
        Assert.True(batch is ClusterUnavailableException or UnknownOutcomeException, $"got {batch?.GetType().Name ?? "no exception"}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"the batch put took {clock.Elapsed}");
    }
}
