using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MultiRaft.Store.Peers;

namespace MultiRaft.Store.Batch;

/// <summary>
/// A small fixed pool of worker threads drives every peer on the store. Peers with work (input, ticks, or
/// an unfinished Ready) sit in one queue; a worker takes as many as are waiting (up to a round's limit) and
/// runs a <see cref="RaftRound"/> over them, so the work per round grows with the regions that have work,
/// not with the regions that exist.
/// </summary>
internal sealed class RaftBatchSystem : IDisposable
{
    private readonly Channel<Peer> _ready = Channel.CreateUnbounded<Peer>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Func<RaftRound> _newRound;
    private readonly ILogger _logger;
    private readonly Action<Exception> _onFatal;
    private readonly int _maxPeersPerRound;
    private readonly Thread[] _workers;
    private volatile bool _stopping;

    public RaftBatchSystem(int workers, int maxPeersPerRound, Func<RaftRound> newRound, Action<Exception> onFatal, ILogger logger)
    {
        _newRound = newRound;
        _logger = logger;
        _onFatal = onFatal;
        _maxPeersPerRound = maxPeersPerRound;
        _workers = new Thread[workers];
        for (var i = 0; i < workers; i++)
        {
            _workers[i] = new Thread(Work) { IsBackground = true, Name = $"raft-worker-{i}" };
        }
    }

    public void Start()
    {
        foreach (var worker in _workers)
        {
            worker.Start();
        }
    }

    /// <summary>Queues a peer (the peer makes sure it is queued at most once).</summary>
    public void Schedule(Peer peer) => _ready.Writer.TryWrite(peer);

    private void Work()
    {
        using var round = _newRound();
        var peers = new List<Peer>(_maxPeersPerRound);
        while (!_stopping)
        {
            if (!WaitForWork(peers))
            {
                return;
            }
            try
            {
                round.Run(peers);
            }
#pragma warning disable CA1031 // Fail-stop: a round that failed half way (a log write, an apply) leaves
            // state no later round may build on, so the store stops rather than serve from it.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.LogCritical(e, "raft round over {Count} peers failed; the store stops", peers.Count);
                _stopping = true;
                _onFatal(e);
                return;
            }
            foreach (var peer in peers)
            {
                peer.Release();
            }
            peers.Clear();
        }
    }

    private bool WaitForWork(List<Peer> peers)
    {
        var reader = _ready.Reader;
        Peer? first;
        while (!reader.TryRead(out first))
        {
            if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                return false;
            }
        }
        peers.Add(first);
        while (peers.Count < _maxPeersPerRound && reader.TryRead(out var next))
        {
            peers.Add(next);
        }
        return true;
    }

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
