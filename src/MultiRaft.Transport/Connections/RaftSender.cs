using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MultiRaft.Protocol;
using MultiRaft.Transport.Framing;

namespace MultiRaft.Transport.Connections;

/// <summary>
/// Sends Raft messages of all regions to one store over one connection. <see cref="TrySend"/> never blocks:
/// a bounded queue takes the message or, when full, drops it and counts the drop (Raft retransmits). A loop
/// connects (retrying with exponential backoff and jitter), performs the handshake, then drains the queue
/// into frames of up to <see cref="TransportOptions.MaxMessagesPerFrame"/> messages, one write per frame.
/// Messages that cannot be delivered are handed to <c>onUnreachable</c>, so their Raft groups probe.
/// </summary>
public sealed class RaftSender : IAsyncDisposable
{
    private readonly TransportOptions _options;
    private readonly ulong _toStore;
    private readonly Func<CancellationToken, ValueTask<Stream>> _connect;
    private readonly Action<RaftEnvelope> _onUnreachable;
    private readonly ILogger _logger;
    private readonly Channel<RaftEnvelope> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly Random _jitter;
    private readonly Task _loop;
    private long _dropped;
    private long _sent;
    private long _frames;
    private long _connections;

    public RaftSender(TransportOptions options, ulong toStore, Func<CancellationToken, ValueTask<Stream>> connect,
        Action<RaftEnvelope>? onUnreachable = null, ILogger? logger = null)
    {
        _options = options;
        _toStore = toStore;
        _connect = connect;
        _onUnreachable = onUnreachable ?? (_ => { });
        _logger = logger ?? NullLogger.Instance;
        _jitter = new Random(unchecked((int)(options.StoreId * 31 + toStore)));
        _queue = Channel.CreateBounded<RaftEnvelope>(new BoundedChannelOptions(options.SendQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = RunAsync(_stop.Token);
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Sent => Interlocked.Read(ref _sent);

    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>Connections established so far (more than one means it reconnected).</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Queues a message; false (and counted) if the queue is full.</summary>
    public bool TrySend(RaftEnvelope envelope)
    {
        if (_queue.Writer.TryWrite(envelope))
        {
            return true;
        }
        Interlocked.Increment(ref _dropped);
        return false;
    }

    private async Task RunAsync(CancellationToken cancellation)
    {
        var backoff = _options.ReconnectBackoffMin;
        var batch = new List<RaftEnvelope>(_options.MaxMessagesPerFrame);
        using var frame = new FrameBuilder();
        while (!cancellation.IsCancellationRequested)
        {
            try
            {
                await using var channel = new FrameChannel(await _connect(cancellation).ConfigureAwait(false), _options.MaxFrameBytes);
                await ClientHandshake.PerformAsync(channel, _options, _toStore, cancellation).ConfigureAwait(false);
                Interlocked.Increment(ref _connections);
                backoff = _options.ReconnectBackoffMin;
                while (await _queue.Reader.WaitToReadAsync(cancellation).ConfigureAwait(false))
                {
                    batch.Clear();
                    FillBatch(batch);
                    if (batch.Count == 0)
                    {
                        continue;
                    }
                    // Serialized straight into the frame and sent in one write (see FrameBuilder).
                    frame.Begin();
                    ProtocolSerializer.Serialize(frame, new RaftBatch([.. batch]));
                    await channel.WriteFrameAsync(frame.Finish(FrameKind.RaftMessages), cancellation).ConfigureAwait(false);
                    Interlocked.Add(ref _sent, batch.Count);
                    Interlocked.Increment(ref _frames);
                    batch.Clear();
                }
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TransportException or ObjectDisposedException
                or MessagePack.MessagePackSerializationException or OperationCanceledException)
            {
                if (_logger.IsEnabled(LogLevel.Information))
                {
                    _logger.LogInformation("Raft connection to store {Store} failed: {Reason}; retrying in {Backoff}", _toStore, e.Message, backoff);
                }
                ReportUnreachable(batch);
                await DelayAsync(backoff, cancellation).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.ReconnectBackoffMax.Ticks));
            }
        }
    }

    /// <summary>Takes messages for one frame: up to the count limit and half the frame size (so the encoded
    /// batch stays under the limit the receiver enforces). A message too big for any frame is dropped.</summary>
    private void FillBatch(List<RaftEnvelope> batch)
    {
        var budget = _options.MaxFrameBytes / 2;
        long bytes = 0;
        while (batch.Count < _options.MaxMessagesPerFrame && _queue.Reader.TryPeek(out var next))
        {
            var size = EstimatedBytes(next);
            if (size > budget)
            {
                _queue.Reader.TryRead(out _);
                Interlocked.Increment(ref _dropped);
                _onUnreachable(next);
                continue;
            }
            if (batch.Count > 0 && bytes + size > budget)
            {
                return;
            }
            _queue.Reader.TryRead(out _);
            batch.Add(next);
            bytes += size;
        }
    }

    private static long EstimatedBytes(RaftEnvelope envelope)
    {
        long bytes = 128;
        foreach (var entry in envelope.Message.Entries.Span)
        {
            bytes += 32 + entry.Data.Length;
        }
        return bytes + (envelope.Message.Snapshot?.Data.Length ?? 0);
    }

    /// <summary>The failed batch and everything queued behind it cannot be delivered now: tell their groups.</summary>
    private void ReportUnreachable(List<RaftEnvelope> batch)
    {
        foreach (var envelope in batch)
        {
            _onUnreachable(envelope);
        }
        batch.Clear();
        while (_queue.Reader.TryRead(out var queued))
        {
            _onUnreachable(queued);
        }
    }

    private async Task DelayAsync(TimeSpan backoff, CancellationToken cancellation)
    {
        // Jitter in [50%, 100%] of the backoff, so many senders do not reconnect in lockstep.
        var delay = TimeSpan.FromTicks((long)(backoff.Ticks * (0.5 + _jitter.NextDouble() / 2)));
        try
        {
            await Task.Delay(delay, cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
