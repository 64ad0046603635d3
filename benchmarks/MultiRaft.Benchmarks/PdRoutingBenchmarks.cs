using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using MultiRaft.PlacementDriver;
using MultiRaft.PlacementDriver.Storage;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Pd;

namespace MultiRaft.Benchmarks;

/// <summary>PD's region registry in process, no network: one operation is one route lookup by key over
/// 100,000 regions, or one region heartbeat (unchanged region: the common case; or a new leader term, which
/// also marks the region for persistence).</summary>
[MemoryDiagnoser]
public class PdRoutingBenchmarks
{
    private const int Regions = 100_000;
    private const int Batch = 1024;

    private RegionRegistry _registry = null!;
    private byte[][] _keys = null!;
    private RegionHeartbeatRequest[] _heartbeats = null!;
    private ulong _term = 10;

    private static byte[] Boundary(int i)
    {
        var key = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(key, i * 1000L);
        return key;
    }

    [GlobalSetup]
    public void Setup()
    {
        var regions = new List<PersistedRegion>(Regions);
        for (var i = 0; i < Regions; i++)
        {
            var peers = new[] { new PeerInfo(3UL * (ulong)i + 1, 1, false), new PeerInfo(3UL * (ulong)i + 2, 2, false), new PeerInfo(3UL * (ulong)i + 3, 3, false) };
            var region = new RegionInfo((ulong)i + 1, i == 0 ? [] : Boundary(i), i == Regions - 1 ? [] : Boundary(i + 1), new EpochInfo(1, 2), peers);
            regions.Add(new PersistedRegion(region, peers[0], 10));
        }
        _registry = new RegionRegistry(regions);
        var random = new Random(7);
        _keys = new byte[Batch][];
        _heartbeats = new RegionHeartbeatRequest[Batch];
        for (var i = 0; i < Batch; i++)
        {
            var key = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(key, random.NextInt64(Regions * 1000L));
            _keys[i] = key;
            var region = regions[random.Next(Regions)];
            _heartbeats[i] = new RegionHeartbeatRequest(region.Region, region.Leader!.Value, 10, [], [], new RegionStats(1 << 20, 1000, 0, 0, 0, 0));
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public ulong RouteByKey()
    {
        var sum = 0UL;
        foreach (var key in _keys)
        {
            sum += _registry.GetByKey(key).Region!.Id;
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int HeartbeatUnchanged()
    {
        var changed = 0;
        foreach (var heartbeat in _heartbeats)
        {
            changed += _registry.Heartbeat(heartbeat) == RegionUpdate.Changed ? 1 : 0;
        }
        return changed;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int HeartbeatNewTerm()
    {
        var changed = 0;
        var term = ++_term;
        foreach (var heartbeat in _heartbeats)
        {
            changed += _registry.Heartbeat(heartbeat with { Term = term }) == RegionUpdate.Changed ? 1 : 0;
        }
        _registry.TakeDirty(); // What the flusher does every interval; keeps the dirty set from only growing.
        return changed;
    }
}
