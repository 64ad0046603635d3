using System.Net;
using Microsoft.Extensions.Logging;
using MultiRaft.Protocol;
using MultiRaft.Transport.Framing;

namespace MultiRaft.Transport.Connections;

/// <summary>
/// Accepts Raft connections from other stores and hands every message of every batch frame to
/// <c>onMessage</c>, in the order sent. Anything but Raft batches after the handshake closes the connection.
/// </summary>
public sealed class RaftListener : IAsyncDisposable
{
    private readonly FramedListener _listener;
    private readonly Action<RaftEnvelope> _onMessage;

    public RaftListener(TransportOptions options, IPEndPoint endpoint, Action<RaftEnvelope> onMessage, ILogger? logger = null)
    {
        _onMessage = onMessage;
        _listener = new FramedListener(options, endpoint, ServeAsync, logger);
    }

    public IPEndPoint LocalEndPoint => _listener.LocalEndPoint;

    /// <summary>Connections closed for a bad handshake or a bad frame.</summary>
    public long RefusedConnections => _listener.RefusedConnections;

    public void Start() => _listener.Start();

    private async Task<string?> ServeAsync(FrameChannel channel, Handshake peer, CancellationToken cancellation)
    {
        string? error = null;
        var reason = await channel.ReadFramesAsync((kind, payload) =>
        {
            if (kind != FrameKind.RaftMessages)
            {
                error = $"unexpected {kind} frame from store {peer.StoreId}";
                return false;
            }
            if (!FramedListener.TryDeserialize(payload, out RaftBatch? batch, out error))
            {
                return false;
            }
            foreach (var envelope in batch!.Envelopes)
            {
                _onMessage(envelope);
            }
            return true;
        }, cancellation).ConfigureAwait(false);
        return reason ?? error;
    }

    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}
