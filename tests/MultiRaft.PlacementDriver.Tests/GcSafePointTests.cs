using MultiRaft.PlacementDriver.Storage;
using MultiRaft.Protocol.Pd;

namespace MultiRaft.PlacementDriver.Tests;

/// <summary>The GC safe point and the service safe points that hold it back, on a manual clock.</summary>
public sealed class GcSafePointTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "multiraft-pd-gc-" + Guid.NewGuid().ToString("N"));
    private readonly ManualClock _clock = new();
    private readonly MetadataStore _metadata;
    private readonly TimestampOracle _tso;

    public GcSafePointTests()
    {
        _metadata = MetadataStore.Open(_directory);
        _tso = new TimestampOracle(_metadata, _clock, TimeSpan.FromSeconds(3));
    }

    public void Dispose()
    {
        _metadata.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private GcSafePoints NewCluster() => new(_metadata, _tso, _clock, newCluster: true);

    [Fact]
    public void The_safe_point_starts_at_zero_and_only_moves_up()
    {
        var gc = NewCluster();
        Assert.Equal(0UL, gc.SafePoint);
        var ts = _tso.Next(1);
        Assert.Equal(ts - 10, gc.Update(ts - 10));
        Assert.Equal(ts - 10, gc.Update(ts - 20));
        Assert.Equal(ts, gc.Update(ts));
        Assert.Equal(ts, gc.SafePoint);
        Assert.Equal(ts, _metadata.Recovered.GcSafePoint);
    }

    [Fact]
    public void A_safe_point_past_the_latest_timestamp_is_refused()
    {
        var gc = NewCluster();
        var ts = _tso.Next(1);
        Assert.Throws<ArgumentException>(() => gc.Update(ts + 1));
        Assert.Equal(0UL, gc.SafePoint);
    }

    [Fact]
    public void The_lowest_live_service_safe_point_holds_gc_back_until_withdrawn()
    {
        var gc = NewCluster();
        var ts = _tso.Next(1);
        Assert.Equal(new UpdateServiceSafePointResponse(true, 0), gc.UpdateService("txn-a", ts - 300, 60));
        Assert.Equal(new UpdateServiceSafePointResponse(true, 0), gc.UpdateService("txn-b", ts - 200, 60));
        Assert.Equal(ts - 300, gc.Update(ts));

        Assert.True(gc.UpdateService("txn-a", 0, 0).Accepted);
        Assert.Equal(ts - 200, gc.Update(ts));
        Assert.Equal("txn-b", Assert.Single(gc.Snapshot().Services).ServiceId);
    }

    [Fact]
    public void An_expired_service_safe_point_stops_holding_gc_back()
    {
        var gc = NewCluster();
        var ts = _tso.Next(1);
        gc.UpdateService("short", ts - 300, 60);
        gc.UpdateService("long", ts - 200, 120);
        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(ts - 300, gc.Update(ts));

        _clock.Advance(TimeSpan.FromSeconds(1)); // A lease ends at its expiry.
        Assert.Equal(ts - 200, gc.Update(ts));
        gc.UpdateService("long", ts - 200, 120); // Refreshed: it holds for another two minutes.
        _clock.Advance(TimeSpan.FromSeconds(119));
        Assert.Equal(ts - 200, gc.Update(ts));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ts, gc.Update(ts));
        Assert.Empty(gc.Snapshot().Services);
    }

    [Fact]
    public void A_service_safe_point_below_the_gc_safe_point_is_refused_and_changes_nothing()
    {
        var gc = NewCluster();
        var ts = _tso.Next(1);
        gc.Update(ts - 100);
        Assert.True(gc.UpdateService("txn", ts - 50, 60).Accepted);

        Assert.Equal(new UpdateServiceSafePointResponse(false, ts - 100), gc.UpdateService("txn", ts - 101, 60));
        Assert.Equal(new UpdateServiceSafePointResponse(false, ts - 100), gc.UpdateService("late", ts - 101, 60));
        Assert.True(gc.UpdateService("exact", ts - 100, 60).Accepted); // The safe point's own versions are kept.
        var (safePoint, services) = gc.Snapshot();
        Assert.Equal(ts - 100, safePoint);
        Assert.Equal([new ServiceSafePoint("exact", ts - 100, _clock.Now.AddSeconds(60)), new ServiceSafePoint("txn", ts - 50, _clock.Now.AddSeconds(60))], services);
    }

    [Fact]
    public void Bad_service_updates_are_refused()
    {
        var gc = NewCluster();
        Assert.Throws<ArgumentException>(() => gc.UpdateService("", 0, 60));
        Assert.Throws<ArgumentException>(() => gc.UpdateService("txn", 0, -1));
        Assert.Throws<ArgumentException>(() => gc.UpdateService("txn", 0, GcSafePoints.MaxTtlSeconds + 1));
        Assert.Empty(gc.Snapshot().Services);
        Assert.True(gc.UpdateService("txn", 0, GcSafePoints.MaxTtlSeconds).Accepted);
    }

    [Fact]
    public void After_a_restart_gc_waits_one_max_ttl_for_the_services_it_forgot()
    {
        var ts = _tso.Next(1);
        var before = NewCluster();
        before.UpdateService("txn", ts - 50, GcSafePoints.MaxTtlSeconds);
        before.Update(ts - 100);

        var after = new GcSafePoints(_metadata, _tso, _clock, newCluster: false);
        Assert.Equal(ts - 100, after.SafePoint);
        Assert.Equal(ts - 100, after.Update(ts));
        _clock.Advance(GcSafePoints.MaxTtl - TimeSpan.FromMilliseconds(1));
        Assert.Equal(ts - 100, after.Update(ts)); // "txn" may still hold its lease, for all this PD knows.
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(ts, after.Update(ts));
    }
}
