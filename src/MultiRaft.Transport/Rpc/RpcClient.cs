using System.Collections.Concurrent;
using MultiRaft.Protocol;
using MultiRaft.Transport.Connections;
using MultiRaft.Transport.Framing;

namespace MultiRaft.Transport.Rpc;

/// <summary>
/// One RPC connection with many calls in flight, matched to answers by id. Every call has a deadline and a
/// CancellationToken. Errors are typed: <see cref="RpcRemoteException"/> (the server answered with a failure),
/// <see cref="RpcTimeoutException"/> and <see cref="RpcConnectionException"/> (outcome unknown).
/// </summary>
public sealed class RpcClient : IAsyncDisposable
{
    private static readonly TimeSpan ReaderStopWait = TimeSpan.FromSeconds(2);

    private readonly FrameChannel _channel;
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<byte[]>> _pending = new();
    private readonly CoalescingFrameWriter _writer;
    private readonly CancellationTokenSource _stop = new();
    private readonly SharedDeadlines _deadlines = new(SharedDeadlines.DefaultSlot);
    private readonly Task _reader;
    private long _nextId;
    private volatile string? _closedBecause;

    private RpcClient(FrameChannel channel, Handshake peer)
    {
        _channel = channel;
        Peer = peer;
        _writer = new CoalescingFrameWriter(channel);
        _reader = ReadAnswersAsync();
    }

    /// <summary>Connects and performs the handshake (with <paramref name="expectedStore"/>, or any store).</summary>
    public static async Task<RpcClient> ConnectAsync(TransportOptions options, Func<CancellationToken, ValueTask<Stream>> connect, ulong? expectedStore, CancellationToken cancellation)
    {
        FrameChannel? channel = null;
        try
        {
            channel = new FrameChannel(await connect(cancellation).ConfigureAwait(false), options.MaxFrameBytes);
            var peer = await ClientHandshake.PerformAsync(channel, options, expectedStore, cancellation).ConfigureAwait(false);
            return new RpcClient(channel, peer);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TransportException or MessagePack.MessagePackSerializationException)
        {
            if (channel is not null)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }
            throw new RpcConnectionException($"could not connect: {e.Message}", e);
        }
    }

    /// <summary>Who answered the handshake: its cluster and store id.</summary>
    public Handshake Peer { get; }

    public int InFlight => _pending.Count;

    /// <summary>True once the connection is closed: every later call fails before sending anything.</summary>
    public bool IsClosed => _closedBecause is not null;

    public async Task<byte[]> CallAsync(string method, byte[] body, TimeSpan timeout, CancellationToken cancellation = default)
    {
        var id = (ulong)Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        try
        {
            await SendAsync(new RpcRequest(id, method, body, (int)Math.Min(int.MaxValue, timeout.TotalMilliseconds)), cancellation).ConfigureAwait(false);
            using var deadline = _deadlines.Start(timeout, cancellation);
            try
            {
                return await answer.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                throw new RpcTimeoutException($"{method} got no answer within {timeout.TotalMilliseconds} ms");
            }
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task SendAsync(RpcRequest request, CancellationToken cancellation)
    {
        if (_closedBecause is { } reason)
        {
            throw new RpcConnectionException($"connection closed: {reason}");
        }
        try
        {
            await _writer.WriteAsync(FrameKind.Request, ProtocolSerializer.Serialize(request), cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            throw new RpcConnectionException($"sending {request.Method} failed: {e.Message}", e);
        }
    }

    private async Task ReadAnswersAsync()
    {
        string? error = null;
        var reason = await _channel.ReadFramesAsync((kind, payload) =>
        {
            if (kind != FrameKind.Response)
            {
                error = $"unexpected {kind} frame";
                return false;
            }
            if (!FramedListener.TryDeserialize(payload, out RpcResponse? response, out error))
            {
                return false;
            }
            if (_pending.TryRemove(response!.Id, out var answer))
            {
                switch (response.Status)
                {
                    case RpcStatus.Ok:
                        answer.TrySetResult(response.Body);
                        break;
                    case RpcStatus.DeadlineExceeded:
                        // The server gave up at the same deadline the caller set: to the caller, a timeout.
                        answer.TrySetException(new RpcTimeoutException(response.Error ?? "deadline exceeded"));
                        break;
                    default:
                        answer.TrySetException(new RpcRemoteException(response.Status, response.Error ?? ""));
                        break;
                }
            }
            return true;
        }, _stop.Token).ConfigureAwait(false);
        _closedBecause = reason ?? error ?? "closed by the peer";
        foreach (var (_, answer) in _pending)
        {
            answer.TrySetException(new RpcConnectionException($"connection closed: {_closedBecause}"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        // Cancelled, the read loop ends at its next read; the channel may return its buffers only after that.
        // Should a read ignore cancellation, closing the connection ends it.
        await Task.WhenAny(_reader, Task.Delay(ReaderStopWait)).ConfigureAwait(false);
        await _channel.DisposeAsync().ConfigureAwait(false);
        await _reader.ConfigureAwait(false);
        _stop.Dispose();
        _writer.Dispose();
    }
}
