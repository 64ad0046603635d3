using System.Net;
using Microsoft.Extensions.Logging;
using MultiRaft.Protocol;
using MultiRaft.Transport.Framing;

namespace MultiRaft.Transport.Connections;

/// <summary>
/// One listening port for several kinds of traffic: every frame after the handshake goes to the service of its
/// kind (a store serves Raft batches, client RPC and snapshot chunks on one address). A frame of a kind no
/// service takes closes that connection with a logged reason.
/// </summary>
public sealed class ServiceListener : IAsyncDisposable
{
    private readonly FramedListener _listener;
    private readonly Dictionary<FrameKind, IFrameService> _services = [];

    public ServiceListener(TransportOptions options, IPEndPoint endpoint, IEnumerable<IFrameService> services, ILogger? logger = null)
    {
        foreach (var service in services)
        {
            _services.Add(service.Kind, service);
        }
        _listener = new FramedListener(options, endpoint, ServeAsync, logger);
    }

    public IPEndPoint LocalEndPoint => _listener.LocalEndPoint;

    /// <summary>Connections closed for a bad handshake or a bad frame.</summary>
    public long RefusedConnections => _listener.RefusedConnections;

    public void Start() => _listener.Start();

    private async Task<string?> ServeAsync(FrameChannel channel, Handshake peer, CancellationToken cancellation)
    {
        using var writer = new CoalescingFrameWriter(channel);
        var sessions = new Dictionary<FrameKind, IFrameSession>();
        string? error = null;
        var reason = await channel.ReadFramesAsync((kind, payload) =>
        {
            if (!sessions.TryGetValue(kind, out var session))
            {
                if (!_services.TryGetValue(kind, out var service))
                {
                    error = $"unexpected {kind} frame from store {peer.StoreId}";
                    return false;
                }
                session = service.Open(writer, peer, cancellation);
                sessions.Add(kind, session);
            }
            return session.OnFrame(payload, out error);
        }, cancellation).ConfigureAwait(false);
        foreach (var session in sessions.Values)
        {
            await session.CompleteAsync().ConfigureAwait(false);
        }
        return reason ?? error;
    }

    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}
