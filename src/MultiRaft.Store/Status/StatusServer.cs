using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace MultiRaft.Store.Status;

/// <summary>What a status route answers: a content type and a body rendered on each request.</summary>
internal sealed record StatusRoute(string ContentType, Func<byte[]> Render);

/// <summary>
/// A minimal HTTP/1.1 server for the store's status pages: one GET (or HEAD) per connection, answered and
/// closed. The request head is bounded in size (8 KiB) and time (5 s); anything malformed or oversized gets
/// 400 and the connection is closed, an unknown path 404, another method 405. Nothing a client sends can
/// stop the server: every connection fails on its own.
/// </summary>
internal sealed class StatusServer : IAsyncDisposable
{
    public const int MaxHeadBytes = 8 * 1024;
    public const int MaxConnections = 64;

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] BareHeadEnd = "\n\n"u8.ToArray();

    private readonly IReadOnlyDictionary<string, StatusRoute> _routes;
    private readonly ILogger _logger;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, bool> _connections = new();
    private Task _accepting = Task.CompletedTask;
    private int _open;
    private int _disposed;

    public StatusServer(IPEndPoint listen, IReadOnlyDictionary<string, StatusRoute> routes, ILogger logger)
    {
        _routes = routes;
        _logger = logger;
        _listener = new TcpListener(listen);
    }

    /// <summary>The bound endpoint (the actual port when asked for port 0); valid after <see cref="Start"/>.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Binds and starts accepting; a bind that fails (address in use) throws and leaves nothing open.</summary>
    public void Start()
    {
        try
        {
            _listener.Start();
        }
        catch (SocketException)
        {
            _listener.Dispose();
            _stop.Dispose();
            throw;
        }
        _accepting = AcceptAsync(_stop.Token);
    }

    private async Task AcceptAsync(CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of descriptors, or a connection reset before it was accepted: pause, then go on.
                _logger.LogDebug(e, "status server: accept failed");
                await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            if (Interlocked.Increment(ref _open) > MaxConnections)
            {
                Interlocked.Decrement(ref _open);
                socket.Dispose();
                continue;
            }
            var connection = ServeAsync(socket, cancellation);
            _connections.TryAdd(connection, true);
            _ = connection.ContinueWith(t => _connections.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken cancellation)
    {
        await Task.Yield();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            using var stream = new NetworkStream(socket, ownsSocket: true);
            var (status, contentType, body, head) = await HandleAsync(stream, timeout.Token).ConfigureAwait(false);
            if (status == 0)
            {
                return; // The client left, or sent nothing in time: no one to answer.
            }
            // The answer gets time of its own: a request that timed out is still told so.
            using var answer = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            answer.CancelAfter(TimeSpan.FromSeconds(2));
            await WriteResponseAsync(stream, status, contentType, body, head, answer.Token).ConfigureAwait(false);
            // Lingering close: read what the client still sends (briefly), so closing with unread input does
            // not reset the connection before the client has read the answer.
            socket.Shutdown(SocketShutdown.Send);
            await DrainAsync(stream, answer.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            _logger.LogDebug(e, "status server: connection ended");
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    /// <summary>Reads and answers one request head; status 0 means there is nothing to answer.</summary>
    private async Task<(int Status, string ContentType, byte[] Body, bool HeadOnly)> HandleAsync(Stream stream, CancellationToken cancellation)
    {
        var buffer = new byte[MaxHeadBytes];
        var length = 0;
        int end;
        while ((end = EndOfHead(buffer.AsSpan(0, length))) < 0)
        {
            if (length == buffer.Length)
            {
                return Error(400, "the request head is over 8 KiB");
            }
            int read;
            try
            {
                read = await stream.ReadAsync(buffer.AsMemory(length), cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
            {
                return length == 0 ? (0, "", [], false) : Error(400, "the request head did not arrive within 5 s");
            }
            if (read == 0)
            {
                return length == 0 ? (0, "", [], false) : Error(400, "the connection ended inside the request head");
            }
            length += read;
        }
        if (!HttpRequestHead.TryParse(buffer.AsSpan(0, end), out var method, out var path, out var problem))
        {
            return Error(400, problem);
        }
        var headOnly = method == "HEAD";
        if (method != "GET" && !headOnly)
        {
            return Error(405, $"method {method} is not allowed; use GET");
        }
        if (!_routes.TryGetValue(path, out var route))
        {
            return Error(404, $"no status page at {path}; try {string.Join(", ", _routes.Keys)}", headOnly);
        }
        try
        {
            return (200, route.ContentType, route.Render(), headOnly);
        }
#pragma warning disable CA1031 // A page that fails to render answers 500; the server goes on.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.LogWarning(e, "status page {Path} failed", path);
            return Error(500, "the page failed to render", headOnly);
        }
    }

    private static (int, string, byte[], bool) Error(int status, string message, bool headOnly = false) =>
        (status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(message + "\n"), headOnly);

    /// <summary>Where the head ends (after its blank line), or -1. Bare line feeds are tolerated.</summary>
    private static int EndOfHead(ReadOnlySpan<byte> data)
    {
        var crlf = data.IndexOf(HeadEnd);
        var lf = data.IndexOf(BareHeadEnd);
        return crlf < 0 && lf < 0 ? -1
            : lf < 0 || (crlf >= 0 && crlf < lf) ? crlf + HeadEnd.Length
            : lf + BareHeadEnd.Length;
    }

    private static async Task WriteResponseAsync(Stream stream, int status, string contentType, byte[] body, bool headOnly, CancellationToken cancellation)
    {
        var head = $"HTTP/1.1 {status} {ReasonPhrase(status)}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\n"
            + (status == 405 ? "Allow: GET, HEAD\r\n" : "") + "Cache-Control: no-cache\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellation).ConfigureAwait(false);
        if (!headOnly)
        {
            await stream.WriteAsync(body, cancellation).ConfigureAwait(false);
        }
        await stream.FlushAsync(cancellation).ConfigureAwait(false);
    }

    private static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Internal Server Error",
    };

    private static async Task DrainAsync(Stream stream, CancellationToken cancellation)
    {
        var buffer = new byte[4096];
        for (var drained = 0; drained < 64 * 1024;)
        {
            var read = await stream.ReadAsync(buffer, cancellation).ConfigureAwait(false);
            if (read == 0)
            {
                return;
            }
            drained += read;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _accepting.ConfigureAwait(false);
        await Task.WhenAll(_connections.Keys).ConfigureAwait(false);
        _listener.Dispose();
        _stop.Dispose();
    }
}
