using System.Buffers.Binary;
using MultiRaft.Protocol.Metadata;
using static MultiRaft.PlacementDriver.Tests.PdHarness;

namespace MultiRaft.PlacementDriver.Tests;

public class RegionTests
{
    // A whole-range region 10 (version 1) and the two halves it splits into at "m" (version 2).
    private static readonly RegionInfo Parent = Region(10, "", "", 1, 1, 1, 2, 3);
    private static readonly RegionInfo Left = Region(10, "", "m", 1, 2, 1, 2, 3);
    private static readonly RegionInfo Right = Region(11, "m", "", 1, 2, 1, 2, 3);

    [Fact]
    public async Task Heartbeats_update_the_region_and_leader_and_survive_restart()
    {
        await using var pd = await PdHarness.StartAsync();
        var region = Region(10, "", "", 1, 1, 1, 2, 3);
        Assert.Null((await pd.Client.RegionHeartbeatAsync(Heartbeat(region, 0, 5))).Step);
        var got = await pd.Client.GetRegionAsync(Key("k"));
        Assert.Equal(region, got.Region);
        Assert.Equal(region.Peers[0], got.Leader);

        // A new leader in a later term, and a membership change (confVer 2).
        var changed = region with { Epoch = new EpochInfo(2, 1), Peers = region.Peers[..2] };
        await pd.Client.RegionHeartbeatAsync(Heartbeat(changed, 1, 6));
        got = await pd.Client.GetRegionByIdAsync(10);
        Assert.Equal(changed, got.Region);
        Assert.Equal(changed.Peers[1], got.Leader);

        await pd.RestartAsync();
        got = await pd.Client.GetRegionByIdAsync(10);
        Assert.Equal(changed, got.Region);
        Assert.Equal(changed.Peers[1], got.Leader);
    }

    [Fact]
    public async Task A_delta_heartbeat_crosses_the_wire_and_an_unknown_region_is_asked_for_in_full()
    {
        await using var pd = await PdHarness.StartAsync();
        var region = Region(10, "", "", 1, 1, 1, 2, 3);
        Assert.True((await pd.Client.RegionHeartbeatAsync(Delta(region, 0, 5))).NeedFullRegion);
        Assert.False((await pd.Client.RegionHeartbeatAsync(Heartbeat(region, 0, 5))).NeedFullRegion);
        Assert.False((await pd.Client.RegionHeartbeatAsync(Delta(region, 1, 6))).NeedFullRegion);
        Assert.Equal(region.Peers[1], (await pd.Client.GetRegionByIdAsync(10)).Leader);
    }

    [Fact]
    public async Task Stale_heartbeats_never_overwrite_newer_information()
    {
        await using var pd = await PdHarness.StartAsync();
        var current = Region(10, "", "", 3, 3, 1, 2, 3);
        await pd.Client.RegionHeartbeatAsync(Heartbeat(current, 0, 7));

        var olderVersion = current with { Epoch = new EpochInfo(3, 2), Peers = [.. current.Peers, new PeerInfo(9, 4, false)] };
        var olderConfVersion = current with { Epoch = new EpochInfo(2, 3), Peers = current.Peers[..2] };
        await pd.Client.RegionHeartbeatAsync(Heartbeat(olderVersion, 0, 8));
        await pd.Client.RegionHeartbeatAsync(Heartbeat(olderConfVersion, 1, 8));
        await pd.Client.RegionHeartbeatAsync(Heartbeat(current, 2, 6)); // Same epoch, older term, another leader.

        var got = await pd.Client.GetRegionByIdAsync(10);
        Assert.Equal(current, got.Region);
        Assert.Equal(current.Peers[0], got.Leader);

        await pd.Client.RegionHeartbeatAsync(Heartbeat(current, 2, 8)); // Same epoch, newer term: accepted.
        Assert.Equal(current.Peers[2], (await pd.Client.GetRegionByIdAsync(10)).Leader);
    }

    [Fact]
    public async Task A_split_report_replaces_the_parent_and_routes_each_half()
    {
        var (parent, left, right) = (Parent, Left, Right);
        await using var pd = await PdHarness.StartAsync();
        await pd.Client.RegionHeartbeatAsync(Heartbeat(parent, 0, 5));
        await pd.Client.ReportSplitAsync([left, right]);

        Assert.Equal(left, (await pd.Client.GetRegionAsync(Key("a"))).Region);
        Assert.Equal(left, (await pd.Client.GetRegionAsync([])).Region);
        Assert.Equal(left, (await pd.Client.GetRegionAsync(Key("lzzz"))).Region);
        Assert.Equal(right, (await pd.Client.GetRegionAsync(Key("m"))).Region);
        Assert.Equal(right, (await pd.Client.GetRegionAsync(Key("zzz"))).Region);
        Assert.Equal(parent.Peers[0], (await pd.Client.GetRegionByIdAsync(10)).Leader); // The left half keeps its leader.

        // The parent's last heartbeat arriving late changes nothing.
        await pd.Client.RegionHeartbeatAsync(Heartbeat(parent, 0, 5));
        await pd.Client.ReportSplitAsync([parent]);
        Assert.Equal(right, (await pd.Client.GetRegionAsync(Key("x"))).Region);
        Assert.Equal(2, (await pd.Client.ScanRegionsAsync([], [], 10)).Length);

        await pd.RestartAsync();
        Assert.Equal(left, (await pd.Client.GetRegionAsync(Key("a"))).Region);
        Assert.Equal(right, (await pd.Client.GetRegionAsync(Key("x"))).Region);
    }

    [Fact]
    public async Task A_heartbeat_from_a_split_off_region_replaces_the_overlapped_older_parent()
    {
        var (parent, left, right) = (Parent, Left, Right);
        await using var pd = await PdHarness.StartAsync();
        await pd.Client.RegionHeartbeatAsync(Heartbeat(parent, 0, 5));
        await pd.Client.RegionHeartbeatAsync(Heartbeat(right, 1, 5));

        Assert.Equal(right, (await pd.Client.GetRegionAsync(Key("q"))).Region);
        Assert.Null((await pd.Client.GetRegionAsync(Key("a"))).Region); // Until the left half reports.
        Assert.Null((await pd.Client.GetRegionByIdAsync(10)).Region);

        await pd.Client.RegionHeartbeatAsync(Heartbeat(left, 0, 5));
        Assert.Equal(left, (await pd.Client.GetRegionAsync(Key("a"))).Region);
        Assert.Equal(right, (await pd.Client.GetRegionAsync(Key("q"))).Region);
    }

    [Fact]
    public async Task Scan_returns_overlapping_regions_in_key_order_up_to_the_limit()
    {
        await using var pd = await PdHarness.StartAsync();
        var bounds = new[] { "", "b", "d", "f", "h", "" };
        var regions = new List<RegionInfo>();
        for (var i = 0; i < 5; i++)
        {
            regions.Add(Region(20 + (ulong)i, bounds[i], bounds[i + 1], 1, 5, 1, 2, 3));
        }
        // Reported out of order.
        await pd.Client.ReportSplitAsync([regions[3], regions[0], regions[4], regions[2], regions[1]]);

        Assert.Equal(regions, (await pd.Client.ScanRegionsAsync([], [], 100)).Select(r => r.Region));
        Assert.Equal(regions[..2], (await pd.Client.ScanRegionsAsync([], [], 2)).Select(r => r.Region));
        Assert.Equal(regions[1..4], (await pd.Client.ScanRegionsAsync(Key("c"), Key("g"), 100)).Select(r => r.Region));
        Assert.Equal(regions[1..3], (await pd.Client.ScanRegionsAsync(Key("b"), Key("f"), 100)).Select(r => r.Region));
        Assert.Equal(regions[4..], (await pd.Client.ScanRegionsAsync(Key("zz"), [], 100)).Select(r => r.Region));
    }

    [Fact]
    public async Task Routing_is_right_over_100_000_regions_and_they_survive_restart()
    {
        const int count = 100_000;
        await using var pd = await PdHarness.StartAsync();
        static byte[] Boundary(int i)
        {
            var key = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(key, i * 10);
            return key;
        }
        RegionInfo RegionAt(int i) => new(
            1000 + (ulong)i,
            i == 0 ? [] : Boundary(i),
            i == count - 1 ? [] : Boundary(i + 1),
            new EpochInfo(1, 2),
            [new PeerInfo(1_000_000 + (ulong)i, 1, false)]);
        for (var batch = 0; batch < count; batch += 5000)
        {
            await pd.Client.ReportSplitAsync([.. Enumerable.Range(batch, 5000).Select(RegionAt)]);
        }
        Assert.Equal(count, pd.Server.Regions.Count);

        async Task CheckAsync()
        {
            var random = new Random(42);
            for (var probe = 0; probe < 300; probe++)
            {
                var i = random.Next(count);
                var key = new byte[4];
                BinaryPrimitives.WriteInt32BigEndian(key, i * 10 + random.Next(10));
                Assert.Equal(1000 + (ulong)i, (await pd.Client.GetRegionAsync(key)).Region!.Id);
            }
            Assert.Equal(1000UL, (await pd.Client.GetRegionAsync([])).Region!.Id);
            Assert.Equal(1000UL + count - 1, (await pd.Client.GetRegionAsync([0xff, 0xff, 0xff, 0xff, 0xff])).Region!.Id);
            Assert.Equal(RegionAt(77_777), (await pd.Client.GetRegionByIdAsync(1000 + 77_777)).Region);
            var page = await pd.Client.ScanRegionsAsync(Boundary(50_000), [], 1000);
            Assert.Equal(Enumerable.Range(50_000, 1000).Select(i => 1000 + (ulong)i), page.Select(r => r.Region!.Id));
        }

        await CheckAsync();
        await pd.RestartAsync();
        Assert.Equal(count, pd.Server.Regions.Count);
        await CheckAsync();
    }
}
