using System.Net;
using MultiRaft.Raft;
using MultiRaft.Storage.RaftLog;
using MultiRaft.Store.Batch;
using MultiRaft.Store.Peers;
using static MultiRaft.Store.Tests.LocalStoreParts;

namespace MultiRaft.Store.Tests;

/// <summary>The shared log's purge cannot free a segment while a region's old entries live there, and copying a
/// region with much live log forward would stall every append; so it asks that region to compact. The request
/// must compact the log to the applied index even below the count and size thresholds.</summary>
public sealed class RequestedLogCompactionTests : IDisposable
{
    private readonly LocalStoreParts _store = new();
    private readonly LogCompactor _compactor;

    public RequestedLogCompactionTests()
    {
        var options = new StoreOptions { DataDirectory = "unused", Listen = new IPEndPoint(IPAddress.Loopback, 0), PdEndpoints = [new IPEndPoint(IPAddress.Loopback, 1)] };
        _compactor = new LogCompactor(options, _store.Log, _store.Kv);
    }

    /// <summary>A hosted peer whose log holds 100 entries after its initial state, all applied.</summary>
    private Peer PeerWithAppliedEntries()
    {
        var peer = _store.Hosted(Region(1, "", "", 10));
        var last = _store.Log.RegionStats(peer.RegionId).LastIndex;
        var entries = Enumerable.Range(1, 100).Select(i => new Entry(1, last + (ulong)i, B($"entry {i}"))).ToArray();
        var batch = new LogWriteBatch();
        batch.AddEntries(peer.RegionId, entries);
        _store.Log.Write(batch);
        _store.Log.Sync();
        peer.AppliedIndex = entries[^1].Index;
        return peer;
    }

    [Fact]
    public void A_requested_compaction_cuts_the_log_at_the_applied_index_below_the_thresholds()
    {
        var peer = PeerWithAppliedEntries();
        var first = _store.Log.RegionStats(peer.RegionId).FirstIndex;

        _compactor.Compact([peer]);
        Assert.Equal(first, _store.Log.RegionStats(peer.RegionId).FirstIndex); // 100 entries: under the thresholds.

        peer.Post(new PeerInput(PeerInputKind.CompactLog));
        peer.HandleInbox(_store.Guard);
        Assert.True(peer.LogCompactionRequested);
        _compactor.Compact([peer]);

        Assert.Equal(peer.AppliedIndex + 1, _store.Log.RegionStats(peer.RegionId).FirstIndex);
        Assert.False(peer.LogCompactionRequested);
    }

    [Fact]
    public void A_requested_compaction_never_passes_the_applied_index()
    {
        var peer = PeerWithAppliedEntries();
        var last = _store.Log.RegionStats(peer.RegionId).LastIndex;
        peer.AppliedIndex = last - 40;

        peer.LogCompactionRequested = true;
        _compactor.Compact([peer]);

        var stats = _store.Log.RegionStats(peer.RegionId);
        Assert.Equal(last - 39, stats.FirstIndex);
        Assert.Equal(last, stats.LastIndex);
    }

    public void Dispose() => _store.Dispose();
}
