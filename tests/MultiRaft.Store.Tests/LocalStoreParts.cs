using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using MultiRaft.Storage.Kv;
using MultiRaft.Storage.RaftLog;
using MultiRaft.Store.Batch;
using MultiRaft.Store.Peers;
using MultiRaft.Store.Snapshots;

namespace MultiRaft.Store.Tests;

/// <summary>The engines and registries of one store (store 1), without network or workers, for tests that
/// drive peers by hand. Regions get voters on stores 1, 2 and 3 with peer ids base+1, base+2, base+3.</summary>
internal sealed class LocalStoreParts : IDisposable
{
    public const ulong StoreId = 1;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "multiraft-parts-" + Guid.NewGuid().ToString("N"));

    public LocalStoreParts(TimeSpan? tickInterval = null, Action<Apply.ApplyMailbox>? scheduleApply = null, Action<Peer>? schedule = null)
    {
        Kv = KvEngine.Open(Path.Combine(_root, "kv"));
        Log = RaftLogEngine.Open(new RaftLogEngineOptions { Directory = Path.Combine(_root, "log"), PageSizeBits = 16, MemorySizeBits = 18, SegmentSizeBits = 18 });
        Files = new SnapshotFiles(Path.Combine(_root, "snap"));
        var options = new StoreOptions { DataDirectory = _root, Listen = new IPEndPoint(IPAddress.Loopback, 0), PdEndpoints = [new IPEndPoint(IPAddress.Loopback, 1)] };
        Factory = new PeerFactory(options, StoreId, Log, Kv, Files, new TickClock(tickInterval ?? TimeSpan.FromMilliseconds(100)), schedule ?? (_ => { }), scheduleApply ?? (_ => { }));
        Guard = new SnapshotRangeGuard(Kv, Peers, Files, NullLogger.Instance);
    }

    public KvEngine Kv { get; }
    public RaftLogEngine Log { get; }
    public SnapshotFiles Files { get; }
    public PeerRegistry Peers { get; } = new();
    public PeerFactory Factory { get; }
    public SnapshotRangeGuard Guard { get; }

    public static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    public static RegionLocalState Region(ulong id, string start, string end, ulong peerBase) => new()
    {
        RegionId = id,
        StartKey = B(start),
        EndKey = B(end),
        Epoch = new RegionEpoch(1, 1),
        Peers = [new RegionPeer(peerBase + 1, StoreId, PeerRole.Voter), new RegionPeer(peerBase + 2, 2, PeerRole.Voter), new RegionPeer(peerBase + 3, 3, PeerRole.Voter)],
    };

    /// <summary>An initialized peer of <paramref name="region"/>, as bootstrap or a split leaves it.</summary>
    public Peer Hosted(RegionLocalState region, bool brandNew = false)
    {
        Factory.WriteInitialState(region);
        var peer = Factory.Open(region, brandNew)!;
        Assert.True(Peers.TryAdd(peer));
        return peer;
    }

    /// <summary>A replica being added here, waiting for its first snapshot.</summary>
    public Peer Uninitialized(RegionLocalState region)
    {
        var peer = Factory.OpenUninitialized(region, region.Peers[0].Id);
        Assert.True(Peers.TryAdd(peer));
        return peer;
    }

    public void Dispose()
    {
        Kv.Dispose();
        Log.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
