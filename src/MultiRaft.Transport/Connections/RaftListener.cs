using System.Net;
using Microsoft.Extensions.Logging;
using MultiRaft.Protocol;

namespace MultiRaft.Transport.Connections;

/// <summary>
/// A listener for Raft traffic alone: hands every message of every batch frame to <c>onMessage</c>, in the
/// order sent. Anything but Raft batches after the handshake closes the connection.
/// </summary>
public sealed class RaftListener : IAsyncDisposable
{
    private readonly ServiceListener _listener;

    public RaftListener(TransportOptions options, IPEndPoint endpoint, Action<RaftEnvelope> onMessage, ILogger? logger = null) =>
        _listener = new ServiceListener(options, endpoint, [new RaftService(onMessage)], logger);

    public IPEndPoint LocalEndPoint => _listener.LocalEndPoint;

    /// <summary>Connections closed for a bad handshake or a bad frame.</summary>
    public long RefusedConnections => _listener.RefusedConnections;

    public void Start() => _listener.Start();

    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}
