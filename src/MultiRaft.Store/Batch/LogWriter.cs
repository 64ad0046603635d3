using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MultiRaft.Raft;
using MultiRaft.Storage.RaftLog;
using MultiRaft.Store.Network;
using MultiRaft.Store.Peers;
using MultiRaft.Store.Status;

namespace MultiRaft.Store.Batch;

/// <summary>
/// The store's log writer thread. A Raft round hands it the round's log batch and lets go of its peers at
/// once, so a region takes acknowledgements and proposals while its write is on disk instead of sitting out the
/// fsync. The writer takes every batch queued meanwhile, writes them in order with one fsync, then sends the
/// messages that promised them and tells each peer how far its log is durable. Writes complete in the order
/// they were submitted, which is what <see cref="RaftNode.AdvanceWritingLater"/> relies on.
/// </summary>
internal sealed class LogWriter : IDisposable
{
    private readonly RaftLogEngine _log;
    private readonly StoreRouter _router;
    private readonly StoreMetrics _metrics;
    private readonly Action<Exception> _onFatal;
    private readonly ILogger _logger;
    private readonly object _gate = new(); // Monitor.Wait needs a monitor, not a System.Threading.Lock.
    private readonly Stack<LogWrite> _spare = new();
    private readonly Thread _thread;
    private List<LogWrite> _queued = [];
    private List<LogWrite> _writing = [];
    private int _pending; // Submitted and not yet finished.
    private bool _stopping;
    private Exception? _failed;

    public LogWriter(RaftLogEngine log, StoreRouter router, StoreMetrics metrics, Action<Exception> onFatal, ILogger logger)
    {
        _log = log;
        _router = router;
        _metrics = metrics;
        _onFatal = onFatal;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "log-writer" };
    }

    public void Start() => _thread.Start();

    /// <summary>An empty write to fill and <see cref="Submit"/>.</summary>
    public LogWrite Rent()
    {
        lock (_gate)
        {
            return _spare.TryPop(out var write) ? write : new LogWrite();
        }
    }

    public void Submit(LogWrite write)
    {
        lock (_gate)
        {
            ThrowIfFailed();
            _queued.Add(write);
            _pending++;
            if (_queued.Count == 1)
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Blocks until every write submitted so far is durable and reported: before a snapshot replaces
    /// a region's log, and before a destroyed region's log is dropped. Writers never wait on Raft workers, so
    /// this cannot deadlock.</summary>
    public void WaitIdle()
    {
        lock (_gate)
        {
            while (_pending > 0)
            {
                ThrowIfFailed();
                Monitor.Wait(_gate);
            }
        }
    }

    private void ThrowIfFailed()
    {
        if (_failed is not null)
        {
            throw new InvalidOperationException("the log writer failed; the store is stopping", _failed);
        }
    }

    private void Run()
    {
        while (TakeQueued())
        {
            try
            {
                WriteTaken();
            }
#pragma warning disable CA1031 // Fail-stop, as a failed Raft round: nothing after a failed log write may build on it.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.LogCritical(e, "log write of {Count} batches failed; the store stops", _writing.Count);
                _onFatal(e); // First: a worker released by the failure finds the store already stopping.
                lock (_gate)
                {
                    _failed = e;
                    Monitor.PulseAll(_gate);
                }
                return;
            }
            lock (_gate)
            {
                _pending -= _writing.Count;
                foreach (var write in _writing)
                {
                    write.Clear();
                    _spare.Push(write);
                }
                _writing.Clear();
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Waits for writes and swaps them into <see cref="_writing"/>; false once stopped with none left.</summary>
    private bool TakeQueued()
    {
        lock (_gate)
        {
            while (_queued.Count == 0)
            {
                if (_stopping)
                {
                    return false;
                }
                Monitor.Wait(_gate);
            }
            (_queued, _writing) = (_writing, _queued);
            return true;
        }
    }

    private void WriteTaken()
    {
        var mustSync = false;
        var entries = 0;
        foreach (var write in _writing)
        {
            if (!write.Batch.IsEmpty)
            {
                _log.Write(write.Batch);
            }
            mustSync |= write.MustSync;
            entries += write.Entries;
        }
        if (entries > 0)
        {
            _metrics.LogWritten(entries);
        }
        if (mustSync)
        {
            SyncTimed(_log, _metrics);
        }
        foreach (var write in _writing)
        {
            foreach (var (peer, last, afterPersist) in write.Persisted)
            {
                _router.Send(peer, afterPersist);
                if (last is { } entry)
                {
                    peer.OnLogPersisted(entry.Index, entry.Term);
                }
            }
        }
    }

    /// <summary>One fsync of everything written so far, timed into the store's metrics.</summary>
    internal static void SyncTimed(RaftLogEngine log, StoreMetrics metrics)
    {
        var started = Stopwatch.GetTimestamp();
        log.Sync();
        metrics.LogSynced(Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Finishes every write already submitted, then stops the thread.</summary>
    public void DrainAndStop()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
        if (_thread.IsAlive)
        {
            _thread.Join();
        }
    }

    public void Dispose() => DrainAndStop();
}

/// <summary>One Raft round's log write: its batch, and per peer the last entry it wrote and the messages
/// that may leave only once it is durable.</summary>
internal sealed class LogWrite
{
    public LogWriteBatch Batch { get; } = new();

    public bool MustSync { get; set; }

    public int Entries { get; set; }

    public List<(Peer Peer, (ulong Index, ulong Term)? Last, List<Message> AfterPersist)> Persisted { get; } = [];

    /// <summary>Adds <paramref name="ready"/>'s entries and hard state for <paramref name="peer"/>.</summary>
    public void Add(Peer peer, Ready ready)
    {
        (ulong, ulong)? last = null;
        if (ready.Entries.Count > 0)
        {
            Batch.AddEntries(peer.RegionId, ready.Entries);
            Entries += ready.Entries.Count;
            last = (ready.Entries[^1].Index, ready.Entries[^1].Term);
        }
        if (ready.HardState is { } hardState)
        {
            Batch.SetHardState(peer.RegionId, hardState);
        }
        MustSync |= ready.MustSync;
        if (last is not null || ready.MessagesAfterPersist.Count > 0)
        {
            Persisted.Add((peer, last, ready.MessagesAfterPersist));
        }
    }

    public bool IsEmpty => Batch.IsEmpty && Persisted.Count == 0;

    public void Clear()
    {
        Batch.Clear();
        MustSync = false;
        Entries = 0;
        Persisted.Clear();
    }
}
