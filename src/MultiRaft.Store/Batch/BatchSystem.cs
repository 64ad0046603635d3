using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace MultiRaft.Store.Batch;

/// <summary>Something a batch system's worker holds while its round runs (a peer, a peer's apply queue).</summary>
internal interface IBatchItem
{
    /// <summary>The round is over: let go of the item, and queue it again if work arrived meanwhile.</summary>
    void Release();
}

/// <summary>One worker's pass over the items that have work.</summary>
internal interface IBatchRound<T> : IDisposable
{
    void Run(List<T> items);
}

/// <summary>
/// A small fixed pool of worker threads that drives many items: the Raft system runs every peer on the store,
/// the apply system every peer's committed entries. Items with work sit in one queue (each queued at most once,
/// which the item itself ensures); a worker takes as many as are waiting (up to a round's limit) and runs one
/// round over them, so the work per round grows with the items that have work, not with the items that exist.
/// </summary>
internal sealed class BatchSystem<T> : IDisposable
    where T : class, IBatchItem
{
    private readonly Channel<T> _ready = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = false });
    private readonly string _name;
    private readonly Func<IBatchRound<T>> _newRound;
    private readonly ILogger _logger;
    private readonly Action<Exception> _onFatal;
    private readonly int _maxItemsPerRound;
    private readonly Thread[] _workers;
    private volatile bool _stopping;

    public BatchSystem(string name, int workers, int maxItemsPerRound, Func<IBatchRound<T>> newRound, Action<Exception> onFatal, ILogger logger)
    {
        _name = name;
        _newRound = newRound;
        _logger = logger;
        _onFatal = onFatal;
        _maxItemsPerRound = maxItemsPerRound;
        _workers = new Thread[workers];
        for (var i = 0; i < workers; i++)
        {
            _workers[i] = new Thread(Work) { IsBackground = true, Name = $"{name}-worker-{i}" };
        }
    }

    public void Start()
    {
        foreach (var worker in _workers)
        {
            worker.Start();
        }
    }

    /// <summary>Queues an item (the item makes sure it is queued at most once).</summary>
    public void Schedule(T item) => _ready.Writer.TryWrite(item);

    private void Work()
    {
        using var round = _newRound();
        var items = new List<T>(_maxItemsPerRound);
        while (!_stopping)
        {
            if (!WaitForWork(items))
            {
                return;
            }
            try
            {
                round.Run(items);
            }
#pragma warning disable CA1031 // Fail-stop: a round that failed half way (a log write, an apply) leaves
            // state no later round may build on, so the store stops rather than serve from it.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.LogCritical(e, "{System} round over {Count} items failed; the store stops", _name, items.Count);
                _stopping = true;
                _onFatal(e);
                return;
            }
            foreach (var item in items)
            {
                item.Release();
            }
            items.Clear();
        }
    }

    private bool WaitForWork(List<T> items)
    {
        var reader = _ready.Reader;
        T? first;
        while (!reader.TryRead(out first))
        {
            if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                return false;
            }
        }
        items.Add(first);
        while (items.Count < _maxItemsPerRound && reader.TryRead(out var next))
        {
            items.Add(next);
        }
        return true;
    }

    /// <summary>Stops taking work, lets the workers finish every item already queued, and waits for them. Items
    /// that queue themselves again during that last pass are not run.</summary>
    public void DrainAndStop()
    {
        _ready.Writer.TryComplete();
        foreach (var worker in _workers)
        {
            worker.Join();
        }
    }

    /// <summary>Stops the workers after their current round; queued items are left unrun.</summary>
    public void Dispose()
    {
        _stopping = true;
        _ready.Writer.TryComplete();
        foreach (var worker in _workers)
        {
            worker.Join();
        }
    }
}
