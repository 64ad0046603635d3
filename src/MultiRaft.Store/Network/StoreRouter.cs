using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using MultiRaft.Protocol;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Raft;
using MultiRaft.Store.Peers;
using MultiRaft.Store.Regions;
using MultiRaft.Store.Snapshots;
using MultiRaft.Store.Status;
using MultiRaft.Transport.Connections;
using MultiRaft.Transport.Snapshots;

namespace MultiRaft.Store.Network;

/// <summary>
/// Sends the Raft messages of every peer on this store: one <see cref="RaftSender"/> (one connection, batched
/// frames) per destination store, whose address is resolved when it connects, so a store that moved is found
/// again. Messages that cannot be delivered are reported to their peer as unreachable, so Raft probes.
/// Snapshots stream from their file over a connection of their own, and their outcome goes back to Raft.
/// </summary>
internal sealed class StoreRouter : IAsyncDisposable
{
    private readonly ConcurrentDictionary<ulong, RaftSender> _senders = new();
    private readonly TransportOptions _options;
    private readonly Func<ulong, CancellationToken, Task<IPEndPoint>> _resolveStore;
    private readonly Func<ulong, Peer?> _findPeer;
    private readonly SnapshotFiles _files;
    private readonly SnapshotSender _snapshots;
    private readonly ILogger _logger;
    private readonly StoreMetrics _metrics;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, bool> _sending = new();
    private long _undeliverable;

    public StoreRouter(TransportOptions options, Func<ulong, CancellationToken, Task<IPEndPoint>> resolveStore, Func<ulong, Peer?> findPeer, SnapshotFiles files, ILogger logger, StoreMetrics metrics)
    {
        _metrics = metrics;
        _options = options;
        _resolveStore = resolveStore;
        _findPeer = findPeer;
        _files = files;
        _logger = logger;
        _snapshots = new SnapshotSender(options, async (store, cancellation) => await ConnectTo(store)(cancellation).ConfigureAwait(false), logger: logger);
    }

    /// <summary>Messages with no known destination peer.</summary>
    public long Undeliverable => Interlocked.Read(ref _undeliverable);

    public long Dropped
    {
        get
        {
            long dropped = 0;
            foreach (var sender in _senders.Values)
            {
                dropped += sender.Dropped;
            }
            return dropped;
        }
    }

    public void Send(Peer peer, List<Message> messages)
    {
        if (messages.Count == 0)
        {
            return;
        }
        var region = peer.Region;
        foreach (var message in messages)
        {
            if (region.PeerById(message.To) is not { } target)
            {
                Interlocked.Increment(ref _undeliverable);
                continue;
            }
            if (message.Type == MessageType.InstallSnapshot)
            {
                StartSnapshot(peer, target.StoreId, message);
                continue;
            }
            var hibernate = peer.WantsToHibernate && message.Type == MessageType.Heartbeat;
            if (hibernate)
            {
                peer.HibernateNoticeSent();
            }
            SenderFor(target.StoreId).TrySend(new RaftEnvelope(peer.RegionId, _options.StoreId, target.StoreId, message, RegionFor(peer, message), hibernate));
        }
    }

    /// <summary>The region, attached to a leader's messages to a peer that has never answered it (Match 0):
    /// that peer's store may not host the region yet and needs it to create the replica.</summary>
    private static RegionInfo? RegionFor(Peer peer, Message message) =>
        peer.IsLeader && message.Type is MessageType.Append or MessageType.Heartbeat
        && peer.Node.Progress.TryGetValue(message.To, out var progress) && progress.Match == 0
            ? peer.Region.ToInfo()
            : null;

    /// <summary>Streams the snapshot file the message's ticket names, then tells Raft how it went.</summary>
    private void StartSnapshot(Peer peer, ulong toStore, Message message)
    {
        var snapshot = message.Snapshot!;
        if (_files.PathOf(snapshot.Data) is not { } path)
        {
            Interlocked.Increment(ref _undeliverable);
            peer.Post(new PeerInput(PeerInputKind.SnapshotReport, PeerId: message.To, Succeeded: false));
            return;
        }
        var header = new RaftEnvelope(peer.RegionId, _options.StoreId, toStore, new Message
        {
            Type = message.Type,
            To = message.To,
            From = message.From,
            Term = message.Term,
            Snapshot = snapshot with { Data = ReadOnlyMemory<byte>.Empty },
        });
        var sending = Task.Run(async () =>
        {
            var succeeded = false;
            try
            {
                await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
                var outcome = await _snapshots.SendAsync(header, file, _stop.Token).ConfigureAwait(false);
                succeeded = outcome.Succeeded;
                if (succeeded)
                {
                    _metrics.SnapshotSent();
                }
                _logger.LogInformation("region {Region}: snapshot at {Index} to store {Store}: {Status} {Reason}",
                    peer.RegionId, snapshot.Metadata.Index, toStore, outcome.Status, outcome.Reason);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                SnapshotFiles.Delete(path);
                peer.Post(new PeerInput(PeerInputKind.SnapshotReport, PeerId: message.To, Succeeded: succeeded));
            }
        });
        _sending.TryAdd(sending, true);
        sending.ContinueWith(t => _sending.TryRemove(t, out _), TaskScheduler.Default);
    }

    private RaftSender SenderFor(ulong storeId) =>
        _senders.GetOrAdd(storeId, id => new RaftSender(_options, id, ConnectTo(id), OnUnreachable, _logger));

    private Func<CancellationToken, ValueTask<Stream>> ConnectTo(ulong storeId) => async cancellation =>
    {
        var endpoint = await _resolveStore(storeId, cancellation).ConfigureAwait(false);
        return await TcpConnector.To(endpoint)(cancellation).ConfigureAwait(false);
    };

    private void OnUnreachable(RaftEnvelope envelope)
    {
        if (_findPeer(envelope.RegionId) is { } peer)
        {
            peer.Post(new PeerInput(PeerInputKind.Unreachable, PeerId: envelope.Message.To));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_sending.Keys).ConfigureAwait(false);
        _snapshots.Dispose();
        _stop.Dispose();
        foreach (var sender in _senders.Values)
        {
            await sender.DisposeAsync().ConfigureAwait(false);
        }
        _senders.Clear();
    }
}
