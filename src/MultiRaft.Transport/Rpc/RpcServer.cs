using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MultiRaft.Protocol;
using System.Buffers;
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
    private readonly ServiceListener _listener;

    public RpcServer(TransportOptions options, IPEndPoint endpoint, IReadOnlyDictionary<string, RpcHandler> handlers, ILogger? logger = null) =>
        _listener = new ServiceListener(options, endpoint, [new RpcService(handlers, logger)], logger);

    public IPEndPoint LocalEndPoint => _listener.LocalEndPoint;

    public long RefusedConnections => _listener.RefusedConnections;

    public void Start() => _listener.Start();

    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}

/// <summary>The request frames of a connection: each runs its handler concurrently and answers by id.</summary>
public sealed class RpcService(IReadOnlyDictionary<string, RpcHandler> handlers, ILogger? logger = null) : IFrameService
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly SharedDeadlines _deadlines = new(SharedDeadlines.DefaultSlot);

    public FrameKind Kind => FrameKind.Request;

    public IFrameSession Open(CoalescingFrameWriter writer, Handshake peer, CancellationToken cancellation) => new Session(this, writer, cancellation);

    private sealed class Session(RpcService service, CoalescingFrameWriter writer, CancellationToken cancellation) : IFrameSession
    {
        private readonly List<Task> _running = [];

        public bool OnFrame(in ReadOnlySequence<byte> payload, out string? error)
        {
            if (!FramedListener.TryDeserialize(payload, out RpcRequest? request, out error))
            {
                return false;
            }
            _running.RemoveAll(t => t.IsCompleted);
            _running.Add(service.HandleAsync(writer, request!, cancellation));
            return true;
        }

        public Task CompleteAsync() => Task.WhenAll(_running);
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

    private const int MaxAnswerMarginMs = 200;

    private async Task<RpcResponse?> InvokeAsync(RpcRequest request, CancellationToken cancellation)
    {
        if (!handlers.TryGetValue(request.Method, out var handler))
        {
            return new RpcResponse(request.Id, RpcStatus.UnknownMethod, $"no method '{request.Method}'", []);
        }
        // Give up a little before the caller does, so a handler's own "timed out" answer still reaches it.
        var giveUpMs = request.DeadlineMs - Math.Min(request.DeadlineMs / 10, MaxAnswerMarginMs);
        using var deadline = request.DeadlineMs > 0 ? _deadlines.Start(TimeSpan.FromMilliseconds(giveUpMs), cancellation) : new Deadline(cancellation);
        try
        {
            return new RpcResponse(request.Id, RpcStatus.Ok, null, await handler(request.Body, deadline.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return null;
        }
        catch (OperationCanceledException) when (deadline.Token.IsCancellationRequested)
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

}
