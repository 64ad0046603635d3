using System.Diagnostics;

namespace MultiRaft.Store.Tests;

/// <summary>A brand-new cluster elects its first leader at once: the peer PD lists first campaigns when it
/// bootstraps, and brand-new peers vote without the quiet period a restarted one keeps.</summary>
public sealed class BootstrapTests
{
    [Fact]
    public async Task A_new_cluster_has_a_leader_well_before_an_election_timeout()
    {
        // A 10 s election timeout: waiting out a quiet period and a timeout would take 20 s or more.
        var started = Stopwatch.StartNew();
        await using var cluster = await TestCluster.StartAsync(tune: o => o with
        {
            TickInterval = TimeSpan.FromMilliseconds(40),
            ElectionTicks = 250,
            LeaseTicks = 240,
        });

        var (region, leader) = await cluster.WaitForLeaderAsync();

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"first leader after {started.Elapsed}");
        Assert.Equal(region.Peers[0].StoreId, leader.StoreId);
    }
}
