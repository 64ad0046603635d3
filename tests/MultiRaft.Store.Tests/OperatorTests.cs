using System.Text;
using MultiRaft.PlacementDriver;
using MultiRaft.PlacementDriver.Scheduling;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Pd;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Store.Tests;

/// <summary>PD answers a region heartbeat with an operator step; the leader carries it out.</summary>
public sealed class OperatorTests
{
    /// <summary>Answers the first heartbeat of the first region that holds data with one step, then nothing.</summary>
    private sealed class OneStep(Func<RegionHeartbeatRequest, RegionInfo, OperatorStep?> step) : IOperatorSource
    {
        private int _given;

        public OperatorStep? NextStep(RegionHeartbeatRequest heartbeat, RegionInfo region) =>
            Volatile.Read(ref _given) == 0 && step(heartbeat, region) is { } next && Interlocked.Exchange(ref _given, 1) == 0 ? next : null;
    }

    [Fact]
    public async Task A_split_step_without_keys_splits_at_the_middle_key()
    {
        var operators = new OneStep((h, region) => h.Stats.ApproximateKeys > 0
            ? new OperatorStep(region.Id, region.Epoch, null, null, null, null, new SplitStep([], [], []))
            : null);
        await using var cluster = await TestCluster.StartAsync(tune: o => o with { RegionHeartbeatInterval = TimeSpan.FromMilliseconds(200) }, operators: operators);
        await cluster.WaitForLeaderAsync();
        await using var client = cluster.NewClient();
        for (var i = 0; i < 200; i++)
        {
            await client.PutAsync(Encoding.UTF8.GetBytes($"key{i:D3}"), new byte[100]);
        }
        await Wait.Until(() => cluster.Stores.All(s => s!.RegionCount == 2), "the operator split the region on every store");
        Assert.Equal(200, (await client.ScanAsync("key"u8.ToArray(), "kez"u8.ToArray(), 1000)).Count);
    }

    [Fact]
    public async Task A_transfer_leader_step_moves_leadership()
    {
        ulong target = 0;
        var operators = new OneStep((h, region) =>
        {
            target = region.Peers.First(p => p.Id != h.Leader.Id).Id;
            return new OperatorStep(region.Id, region.Epoch, target, null, null, null, null);
        });
        await using var cluster = await TestCluster.StartAsync(tune: o => o with { RegionHeartbeatInterval = TimeSpan.FromMilliseconds(200) }, operators: operators);
        await cluster.WaitForLeaderAsync();
        await using var pd = new PdClient([cluster.Pd.Endpoint]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((await pd.GetRegionAsync("a"u8.ToArray())).Leader?.Id is var leader && (target == 0 || leader != target))
        {
            Assert.True(DateTime.UtcNow < deadline, $"peer {target} never took over (leader: {leader})");
            await Task.Delay(50);
        }
    }

    /// <summary>Keeps every heartbeat PD receives, answering none.</summary>
    private sealed class Recorder : IOperatorSource
    {
        public System.Collections.Concurrent.ConcurrentQueue<RegionHeartbeatRequest> Heartbeats { get; } = new();

        public OperatorStep? NextStep(RegionHeartbeatRequest heartbeat, RegionInfo region)
        {
            Heartbeats.Enqueue(heartbeat);
            return null;
        }
    }

    [Fact]
    public async Task Region_heartbeats_carry_the_region_only_until_PD_has_it_and_again_after_a_split()
    {
        var recorder = new Recorder();
        await using var cluster = await TestCluster.StartAsync(tune: o => o with { RegionHeartbeatInterval = TimeSpan.FromMilliseconds(200) }, operators: recorder);
        var (region, leader) = await cluster.WaitForLeaderAsync();
        RegionHeartbeatRequest[] Of(ulong regionId) => [.. recorder.Heartbeats.Where(h => h.RegionId == regionId)];

        await Wait.Until(() => Of(region.Id).Count(h => h.Region is null) >= 3, "periodic heartbeats without the region's metadata");
        var steady = Of(region.Id);
        Assert.NotNull(steady[0].Region);
        // Each later full report stands for a new term (a leader change on a loaded machine), never a repeat.
        Assert.All(steady.Skip(1).Where(h => h.Region is not null), h => Assert.NotEqual(steady[0].Term, h.Term));

        var seen = recorder.Heartbeats.Count;
        var split = await SplitTests.SplitAsync(cluster, region, leader, "m");
        Assert.Null(split.Error);
        var halves = split.Regions;
        bool OfHalf(RegionHeartbeatRequest h, RegionInfo half) => h.RegionId == half.Id && h.Epoch == half.Epoch;
        await Wait.Until(() => halves.All(half => recorder.Heartbeats.Skip(seen).Any(h => OfHalf(h, half))), "a heartbeat from each half");
        Assert.All(halves, half => Assert.Equal(half, recorder.Heartbeats.Skip(seen).First(h => OfHalf(h, half)).Region));
    }

    [Fact]
    public async Task Region_heartbeats_carry_load_sampled_keys_and_down_followers()
    {
        var recorder = new Recorder();
        await using var cluster = await TestCluster.StartAsync(tune: o => o with { RegionHeartbeatInterval = TimeSpan.FromMilliseconds(300) }, operators: recorder);
        var (region, leader) = await cluster.WaitForLeaderAsync();
        await using var client = cluster.NewClient();
        var follower = region.Peers.First(p => p.Id != leader.Id);
        // While every store runs, no heartbeat calls a follower down (a sample right after CheckQuorum reset
        // its activity record once did), whatever the phase of the leader's health checks.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.DoesNotContain(recorder.Heartbeats, h => h.DownPeers.Length > 0);
        await cluster.StopStoreAsync(Array.FindIndex(cluster.Stores, s => s!.StoreId == follower.StoreId));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        var i = 0;
        while (!recorder.Heartbeats.Any(h => h.Stats.WriteKeysPerSec > 0 && h.DownPeers.Contains(follower.Id)
            && h.SampledKeys is { Length: > 0 } keys && keys.All(k => Encoding.UTF8.GetString(k).StartsWith("load", StringComparison.Ordinal))))
        {
            Assert.True(DateTime.UtcNow < deadline, "no heartbeat showed the write load, sampled request keys and the down follower");
            await client.PutAsync(Encoding.UTF8.GetBytes($"load{i++}"), new byte[64]);
        }
    }
}
