using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MultiRaft.Protocol;
using MultiRaft.Transport.Connections;
using MultiRaft.Transport.Framing;

namespace MultiRaft.Transport.Rpc;

/// <summary>A method: takes the request body, returns the response body. Throw ArgumentException for bad input.</summary>
public delegate ValueTask<byte[]> RpcHandler(ReadOnlyMemory<byte> body, CancellationToken cancellation);

/// <summary>
/// Serves request/response calls on the framed transport. Requests on one connection run concurrently (many
/// in flight); each answer carries its request's id. A handler gets a token cancelled at the caller's
/// deadline; failures come back as typed statuses, never as a dropped connection.
/// </summary>
public sealed class RpcServer : IAsyncDisposable
{
    private readonly FramedListener _listener;
    private readonly IReadOnlyDictionary<string, RpcHandler> _handlers;
    private readonly ILogger _logger;

    public RpcServer(TransportOptions options, IPEndPoint endpoint, IReadOnlyDictionary<string, RpcHandler> handlers, ILogger? logger = null)
    {
        _handlers = handlers;
        _logger = logger ?? NullLogger.Instance;
        _listener = new FramedListener(options, endpoint, ServeAsync, logger);
    }

    public IPEndPoint LocalEndPoint => _listener.LocalEndPoint;

    public long RefusedConnections => _listener.RefusedConnections;

    public void Start() => _listener.Start();

    private async Task<string?> ServeAsync(FrameChannel channel, Handshake peer, CancellationToken cancellation)
    {
        using var writer = new CoalescingFrameWriter(channel);
        var running = new List<Task>();
        string? error = null;
        var reason = await channel.ReadFramesAsync((kind, payload) =>
        {
            if (kind != FrameKind.Request)
            {
                error = $"unexpected {kind} frame from store {peer.StoreId}";
                return false;
            }
            if (!FramedListener.TryDeserialize(payload, out RpcRequest? request, out error))
            {
                return false;
            }
            running.RemoveAll(t => t.IsCompleted);
            running.Add(HandleAsync(writer, request!, cancellation));
            return true;
        }, cancellation).ConfigureAwait(false);
        await Task.WhenAll(running).ConfigureAwait(false);
        return reason ?? error;
    }

    private async Task HandleAsync(CoalescingFrameWriter writer, RpcRequest request, CancellationToken cancellation)
    {
        var response = await InvokeAsync(request, cancellation).ConfigureAwait(false);
        if (response is null)
        {
            return; // The server is stopping: no answer; the caller sees the connection close.
        }
        try
        {
            await writer.WriteAsync(FrameKind.Response, ProtocolSerializer.Serialize(response), cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The caller is gone, or the server is stopping; the call ends as unknown on the caller's side.
        }
    }

    private async Task<RpcResponse?> InvokeAsync(RpcRequest request, CancellationToken cancellation)
    {
        if (!_handlers.TryGetValue(request.Method, out var handler))
        {
            return new RpcResponse(request.Id, RpcStatus.UnknownMethod, $"no method '{request.Method}'", []);
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        if (request.DeadlineMs > 0)
        {
            deadline.CancelAfter(request.DeadlineMs);
        }
        try
        {
            return new RpcResponse(request.Id, RpcStatus.Ok, null, await handler(request.Body, deadline.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return null;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return new RpcResponse(request.Id, RpcStatus.DeadlineExceeded, $"{request.Method} ran past its {request.DeadlineMs} ms deadline", []);
        }
        catch (ArgumentException e)
        {
            return new RpcResponse(request.Id, RpcStatus.InvalidArgument, e.Message, []);
        }
#pragma warning disable CA1031 // A failing handler must become a typed answer, whatever it threw.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.LogError(e, "RPC {Method} failed", request.Method);
            return new RpcResponse(request.Id, RpcStatus.Internal, e.Message, []);
        }
    }

    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}
