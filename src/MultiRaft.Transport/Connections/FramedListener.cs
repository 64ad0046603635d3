using System.Buffers;
using System.Net;
using System.Net.Sockets;
using MessagePack;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MultiRaft.Protocol;
using MultiRaft.Transport.Framing;

namespace MultiRaft.Transport.Connections;

/// <summary>
/// Accepts framed connections: each must open with a handshake from this cluster and a compatible protocol
/// version; then <c>serve</c> runs the connection and returns why it ended (null when it ended cleanly). A
/// connection that breaks the protocol in any way is closed with a logged reason; the listener and its other
/// connections keep serving. Used by the Raft listener and the RPC server.
/// </summary>
public sealed class FramedListener : IAsyncDisposable
{
    private readonly TransportOptions _options;
    private readonly Func<FrameChannel, Handshake, CancellationToken, Task<string?>> _serve;
    private readonly ILogger _logger;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private Task _acceptLoop = Task.CompletedTask;
    private long _refused;

    public FramedListener(TransportOptions options, IPEndPoint endpoint, Func<FrameChannel, Handshake, CancellationToken, Task<string?>> serve, ILogger? logger = null)
    {
        _options = options;
        _serve = serve;
        _logger = logger ?? NullLogger.Instance;
        _listener = new TcpListener(endpoint);
        // A restarted server binds its old port again while the old connections sit in TIME_WAIT.
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Connections closed for a bad handshake or a bad frame.</summary>
    public long RefusedConnections => Interlocked.Read(ref _refused);

    public void Start()
    {
        _listener.Start();
        _acceptLoop = AcceptLoopAsync(_stop.Token);
    }

    private async Task AcceptLoopAsync(CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(cancellation).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            socket.NoDelay = true;
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(ServeAsync(socket, cancellation));
            }
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken cancellation)
    {
        try
        {
            await ServeConnectionAsync(socket, cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Stopping, or the peer vanished mid-write: this connection is over, nothing else is affected.
        }
    }

    private async Task ServeConnectionAsync(Socket socket, CancellationToken cancellation)
    {
        var remote = socket.RemoteEndPoint?.ToString() ?? "?";
        await using var channel = new FrameChannel(new NetworkStream(socket, ownsSocket: true), _options.MaxFrameBytes);
        var peer = await AcceptHandshakeAsync(channel, remote, cancellation).ConfigureAwait(false);
        if (peer is null)
        {
            Interlocked.Increment(ref _refused);
            return;
        }
        var reason = await _serve(channel, peer, cancellation).ConfigureAwait(false);
        if (reason is not null)
        {
            Interlocked.Increment(ref _refused);
            _logger.LogWarning("closing connection from store {Store} at {Remote}: {Reason}", peer.StoreId, remote, reason);
        }
    }

    private async Task<Handshake?> AcceptHandshakeAsync(FrameChannel channel, string remote, CancellationToken cancellation)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(_options.HandshakeTimeout);
        var frame = await channel.ReadOneAsync(timeout.Token).ConfigureAwait(false);
        var reason = CheckHandshake(frame, out var hello);
        if (reason is not null)
        {
            _logger.LogWarning("refusing connection from {Remote}: {Reason}", remote, reason);
            return null;
        }
        channel.Write(FrameKind.HandshakeAccepted, ProtocolSerializer.Serialize(new Handshake(Handshake.CurrentVersion, _options.ClusterId, _options.StoreId)));
        await channel.FlushAsync(cancellation).ConfigureAwait(false);
        return hello;
    }

    private string? CheckHandshake((FrameKind Kind, byte[] Payload)? frame, out Handshake? hello)
    {
        hello = null;
        if (frame is not { Kind: FrameKind.Handshake } first)
        {
            return frame is null ? "no handshake" : $"{frame.Value.Kind} frame before the handshake";
        }
        if (!TryDeserialize(new ReadOnlySequence<byte>(first.Payload), out hello, out var error))
        {
            return error;
        }
        if (hello!.ProtocolVersion != Handshake.CurrentVersion)
        {
            return $"protocol version {hello.ProtocolVersion}, expected {Handshake.CurrentVersion}";
        }
        var discovering = hello.ClusterId == TransportOptions.DiscoverCluster && _options.AcceptClusterDiscovery;
        return hello.ClusterId != _options.ClusterId && !discovering ? $"cluster {hello.ClusterId}, this is cluster {_options.ClusterId}" : null;
    }

    /// <summary>Deserializes a frame payload; false with a reason for malformed input.</summary>
    public static bool TryDeserialize<T>(in ReadOnlySequence<byte> payload, out T? value, out string? error)
        where T : class
    {
        try
        {
            value = ProtocolSerializer.Deserialize<T>(payload);
            error = value is null ? $"empty {typeof(T).Name}" : null;
            return value is not null;
        }
        catch (MessagePackSerializationException e)
        {
            value = null;
            error = $"malformed {typeof(T).Name}: {e.Message}";
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }
        await Task.WhenAll(connections).ConfigureAwait(false);
        _stop.Dispose();
    }
}
