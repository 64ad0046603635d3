using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using MultiRaft.PlacementDriver;
using MultiRaft.PlacementDriver.Scheduling;
using MultiRaft.PlacementDriver.Scheduling.Schedulers;
using MultiRaft.PlacementDriver.Storage;
using MultiRaft.Protocol;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Pd;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Benchmarks;

/// <summary>PD's region registry in process, no network, over 100,000 regions. One operation is one route
/// lookup by key, or one region heartbeat of an unchanged region: with the region's metadata (full) or without
/// it (delta, what a leader sends once PD has the region), either into the registry alone or through the RPC
/// method as the server runs it (decode, registry, operator controller with the load-split observer, encode);
/// or a full heartbeat with a new leader term, which also marks the region for persistence.</summary>
[MemoryDiagnoser]
public class PdRoutingBenchmarks
{
    private const int Regions = 100_000;
    private const int Batch = 1024;

    private RegionRegistry _registry = null!;
    private RpcHandler _rpc = null!;
    private byte[][] _keys = null!;
    private RegionHeartbeatRequest[] _full = null!;
    private RegionHeartbeatRequest[] _delta = null!;
    private ReadOnlyMemory<byte>[] _fullBodies = null!;
    private ReadOnlyMemory<byte>[] _deltaBodies = null!;
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
        var controller = new OperatorController();
        controller.AddObserver(new LoadSplitScheduler()); // The observer PD's default schedulers register.
        _rpc = PdService.Handle<RegionHeartbeatRequest, RegionHeartbeatResponse>(new RegionHeartbeatHandler(_registry, controller).Handle);
        var random = new Random(7);
        _keys = new byte[Batch][];
        _full = new RegionHeartbeatRequest[Batch];
        _delta = new RegionHeartbeatRequest[Batch];
        _fullBodies = new ReadOnlyMemory<byte>[Batch];
        _deltaBodies = new ReadOnlyMemory<byte>[Batch];
        for (var i = 0; i < Batch; i++)
        {
            var key = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(key, random.NextInt64(Regions * 1000L));
            _keys[i] = key;
            var region = regions[random.Next(Regions)].Region;
            _full[i] = new RegionHeartbeatRequest(region, region.Peers[0], 10, [], [], new RegionStats(1 << 20, 1000, 0, 0, 0, 0), null, region.Id, region.Epoch);
            _delta[i] = _full[i] with { Region = null };
            _fullBodies[i] = ProtocolSerializer.Serialize(_full[i]);
            _deltaBodies[i] = ProtocolSerializer.Serialize(_delta[i]);
        }
        // BenchmarkDotNet measures time; the message size is the other half of a heartbeat's cost (the log shows it).
        Console.WriteLine($"// region heartbeat on the wire: full {_fullBodies[0].Length} B, delta {_deltaBodies[0].Length} B");
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
    public int HeartbeatFull() => Apply(_full);

    [Benchmark(OperationsPerInvoke = Batch)]
    public int HeartbeatDelta() => Apply(_delta);

    [Benchmark(OperationsPerInvoke = Batch)]
    public Task<int> RpcHeartbeatFull() => Call(_fullBodies);

    [Benchmark(OperationsPerInvoke = Batch)]
    public Task<int> RpcHeartbeatDelta() => Call(_deltaBodies);

    [Benchmark(OperationsPerInvoke = Batch)]
    public int HeartbeatNewTerm()
    {
        var changed = 0;
        var term = ++_term;
        foreach (var heartbeat in _full)
        {
            changed += _registry.Heartbeat(heartbeat with { Term = term }, out _) == RegionUpdate.Changed ? 1 : 0;
        }
        _registry.TakeDirty(); // What the flusher does every interval; keeps the dirty set from only growing.
        return changed;
    }

    private int Apply(RegionHeartbeatRequest[] heartbeats)
    {
        var changed = 0;
        foreach (var heartbeat in heartbeats)
        {
            changed += _registry.Heartbeat(heartbeat, out _) == RegionUpdate.Changed ? 1 : 0;
        }
        return changed;
    }

    private async Task<int> Call(ReadOnlyMemory<byte>[] bodies)
    {
        var bytes = 0;
        foreach (var body in bodies)
        {
            bytes += (await _rpc(body, CancellationToken.None).ConfigureAwait(false)).Length;
        }
        return bytes;
    }
}
