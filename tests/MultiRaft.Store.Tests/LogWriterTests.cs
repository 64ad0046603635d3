using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using MultiRaft.Raft;
using MultiRaft.Store.Batch;
using MultiRaft.Store.Network;
using MultiRaft.Store.Peers;
using MultiRaft.Store.Status;
using MultiRaft.Transport.Connections;

namespace MultiRaft.Store.Tests;

/// <summary>The log writer thread: writes complete in submission order, each peer learns how far its log is
/// durable (and is scheduled to tell its node), and a failed write stops the store instead of hanging the
/// Raft workers that wait for the writer.</summary>
public sealed class LogWriterTests : IAsyncDisposable
{
    private readonly List<Peer> _scheduled = [];
    private readonly List<Exception> _fatal = [];
    private readonly LocalStoreParts _store;
    private readonly StoreRouter _router;
    private readonly LogWriter _writer;

    public LogWriterTests()
    {
        _store = new LocalStoreParts(schedule: p => { lock (_scheduled) { _scheduled.Add(p); } });
        var metrics = new StoreMetrics(LocalStoreParts.StoreId);
        _router = new StoreRouter(
            new TransportOptions { ClusterId = 1, StoreId = LocalStoreParts.StoreId },
            (store, _) => Task.FromException<IPEndPoint>(new InvalidOperationException($"no store {store} in this test")),
            _store.Peers.Find,
            _store.Files,
            NullLogger.Instance,
            metrics);
        _writer = new LogWriter(_store.Log, _router, metrics, e => { lock (_fatal) { _fatal.Add(e); } }, NullLogger.Instance);
        _writer.Start();
    }

    private LogWrite Appending(Peer peer, int count)
    {
        var last = _store.Log.LastIndex(peer.RegionId);
        Assert.Equal(LogRead.Ok, _store.Log.Term(peer.RegionId, last, out var term));
        var entries = Enumerable.Range(1, count).Select(i => new Entry(term, last + (ulong)i, LocalStoreParts.B($"e{i}"))).ToArray();
        var write = _writer.Rent();
        write.Batch.AddEntries(peer.RegionId, entries);
        write.Entries = count;
        write.MustSync = true;
        write.Persisted.Add((peer, (entries[^1].Index, entries[^1].Term), []));
        return write;
    }

    [Fact]
    public void Writes_become_durable_in_order_and_their_peers_are_scheduled()
    {
        var first = _store.Hosted(LocalStoreParts.Region(2, "a", "m", 10));
        var second = _store.Hosted(LocalStoreParts.Region(3, "m", "z", 20));
        var firstLast = _store.Log.LastIndex(first.RegionId);
        var secondLast = _store.Log.LastIndex(second.RegionId);

        _writer.Submit(Appending(first, 3));
        _writer.Submit(Appending(second, 1));
        _writer.WaitIdle();

        Assert.Equal(firstLast + 3, _store.Log.LastIndex(first.RegionId));
        Assert.Equal(secondLast + 1, _store.Log.LastIndex(second.RegionId));
        lock (_scheduled)
        {
            Assert.Contains(first, _scheduled);
            Assert.Contains(second, _scheduled);
        }
        Assert.Empty(_fatal);
    }

    [Fact]
    public void A_failed_write_stops_the_store_and_a_waiting_worker_is_released_with_an_error()
    {
        var peer = _store.Hosted(LocalStoreParts.Region(2, "a", "z", 10));
        var write = Appending(peer, 1);
        _store.Log.Dispose(); // Every write now fails.

        _writer.Submit(write);

        Assert.Throws<InvalidOperationException>(_writer.WaitIdle);
        lock (_fatal)
        {
            Assert.Single(_fatal);
        }
        Assert.Throws<InvalidOperationException>(() => _writer.Submit(_writer.Rent()));
    }

    public async ValueTask DisposeAsync()
    {
        _writer.Dispose();
        await _router.DisposeAsync();
        _store.Dispose();
    }
}
