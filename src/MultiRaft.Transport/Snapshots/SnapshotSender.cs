using System.Buffers;
using System.Diagnostics;
using System.IO.Hashing;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MultiRaft.Protocol;
using MultiRaft.Raft;
using MultiRaft.Transport.Connections;
using MultiRaft.Transport.Framing;

namespace MultiRaft.Transport.Snapshots;

/// <summary>
/// Streams region snapshots to other stores, each over a connection of its own (never the Raft connection, so
/// a snapshot of hundreds of MiB never delays heartbeats): connect, handshake with the target store, a header
/// chunk, data chunks of <see cref="SnapshotOptions.ChunkBytes"/> (each flushed before the next is read, so
/// memory stays at one chunk and a slow receiver slows the reading), an end chunk with the length and CRC-64
/// of all the data, then the receiver's one answer. At most <see cref="SnapshotOptions.MaxConcurrentSends"/>
/// snapshots stream at once; further callers wait (cancellably) for a slot, and their timeout starts when they
/// get it.
/// </summary>
public sealed class SnapshotSender : IDisposable
{
    private readonly TransportOptions _options;
    private readonly SnapshotOptions _snapshot;
    private readonly Func<ulong, CancellationToken, ValueTask<Stream>> _connect;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots;
    private int _active;

    /// <param name="connect">Opens a new connection to the store with the given id (see
    /// <see cref="TcpConnector.ToStore"/>).</param>
    public SnapshotSender(TransportOptions options, Func<ulong, CancellationToken, ValueTask<Stream>> connect, SnapshotOptions? snapshotOptions = null, ILogger? logger = null)
    {
        _options = options;
        _snapshot = snapshotOptions ?? new SnapshotOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_snapshot.ChunkBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_snapshot.ChunkBytes, options.MaxFrameBytes - SnapshotChunkCodec.DataPrefixBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(_snapshot.MaxConcurrentSends, 1);
        _connect = connect;
        _logger = logger ?? NullLogger.Instance;
        _slots = new SemaphoreSlim(_snapshot.MaxConcurrentSends, _snapshot.MaxConcurrentSends);
    }

    /// <summary>Snapshots streaming now (not counting callers waiting for a slot).</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>
    /// Sends <paramref name="data"/> (read to its end, not disposed) as the snapshot of
    /// <paramref name="header"/>, an InstallSnapshot message whose snapshot data is empty, to
    /// <see cref="RaftEnvelope.ToStore"/>. Every failure comes back as an outcome with its reason; only the
    /// caller's own cancellation throws (<see cref="OperationCanceledException"/>).
    /// </summary>
    public async Task<SnapshotOutcome> SendAsync(RaftEnvelope header, Stream data, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(data);
        if (header.Message.Type != MessageType.InstallSnapshot || header.Message.Snapshot is not { Data.IsEmpty: true })
        {
            throw new ArgumentException("a snapshot header is an InstallSnapshot message with empty snapshot data (the data travels in chunks)", nameof(header));
        }
        await _slots.WaitAsync(cancellation).ConfigureAwait(false);
        Interlocked.Increment(ref _active);
        try
        {
            var outcome = await SendOneAsync(header, data, cancellation).ConfigureAwait(false);
            if (!outcome.Succeeded && _logger.IsEnabled(LogLevel.Warning))
            {
                _logger.LogWarning("snapshot of region {Region} to store {Store} failed: {Outcome}", header.RegionId, header.ToStore, outcome);
            }
            return outcome;
        }
        finally
        {
            Interlocked.Decrement(ref _active);
            _slots.Release();
        }
    }

    private async Task<SnapshotOutcome> SendOneAsync(RaftEnvelope header, Stream data, CancellationToken cancellation)
    {
        var progress = new Progress();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(_snapshot.Timeout);
        SnapshotOutcome Failed(SnapshotStatus status, string reason)
        {
            cancellation.ThrowIfCancellationRequested();
            return progress.Outcome(timeout.IsCancellationRequested ? SnapshotStatus.TimedOut : status, timeout.IsCancellationRequested ? $"no answer within {_snapshot.Timeout}" : reason);
        }

        FrameChannel? channel = null;
        try
        {
            channel = new FrameChannel(await _connect(header.ToStore, timeout.Token).ConfigureAwait(false), _options.MaxFrameBytes);
            await ClientHandshake.PerformAsync(channel, _options, header.ToStore, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (IsConnectionError(e))
        {
            if (channel is not null)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }
            return Failed(SnapshotStatus.Unreachable, $"store {header.ToStore}: {e.Message}");
        }

        await using (channel.ConfigureAwait(false))
        {
            // The receiver answers once, possibly early (a refusal): listen while streaming. Cancelled before
            // the channel goes, so no read is left running on a disposed connection.
            using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            var answer = ReadAnswerAsync(channel, stopReading.Token);
            try
            {
                var sourceError = await StreamAsync(channel, header, data, answer, progress, timeout.Token).ConfigureAwait(false);
                if (sourceError is not null)
                {
                    return Failed(SnapshotStatus.SourceFailed, sourceError);
                }
                var frame = await answer.ConfigureAwait(false);
                return frame is { } result
                    ? ToOutcome(result, progress)
                    : Failed(SnapshotStatus.ConnectionLost, "the receiver closed the connection without an answer");
            }
            catch (Exception e) when (IsConnectionError(e))
            {
                // A write failed: the receiver may have answered before closing; else the connection broke.
                var frame = timeout.IsCancellationRequested ? null : await answer.ConfigureAwait(false);
                return frame is { } result ? ToOutcome(result, progress) : Failed(SnapshotStatus.ConnectionLost, e.Message);
            }
            finally
            {
                await stopReading.CancelAsync().ConfigureAwait(false);
                await answer.ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes the header, the data chunks and the end chunk, stopping early if the receiver answers
    /// first. Returns why reading the data failed, or null.</summary>
    private async Task<string?> StreamAsync(FrameChannel channel, RaftEnvelope header, Stream data, Task<(FrameKind Kind, byte[] Payload)?> answer, Progress progress, CancellationToken cancellation)
    {
        var small = new ArrayBufferWriter<byte>(256);
        SnapshotChunkCodec.WriteHeader(small, header);
        channel.Write(FrameKind.SnapshotChunk, small.WrittenSpan);
        var chunkBytes = _snapshot.ChunkBytes;
        // One buffer holds a whole frame: frame header, chunk prefix, data read straight into place.
        const int dataOffset = FrameCodec.HeaderBytes + SnapshotChunkCodec.DataPrefixBytes;
        var chunk = ArrayPool<byte>.Shared.Rent(dataOffset + chunkBytes);
        try
        {
            var crc = new Crc64();
            long sequence = 0;
            while (!answer.IsCompleted)
            {
                int read;
                try
                {
                    read = await data.ReadAtLeastAsync(chunk.AsMemory(dataOffset, chunkBytes), chunkBytes, throwOnEndOfStream: false, cancellation).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // Whatever the source throws, the snapshot ends as SourceFailed; the receiver sees the drop and aborts.
                catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    return $"reading the snapshot data failed after {progress.Bytes} bytes: {e.Message}";
                }
                if (read == 0)
                {
                    break;
                }
                crc.Append(chunk.AsSpan(dataOffset, read));
                SnapshotChunkCodec.WriteDataPrefix(chunk.AsSpan(FrameCodec.HeaderBytes), sequence++, read);
                FrameCodec.WriteHeader(chunk, FrameKind.SnapshotChunk, chunk.AsSpan(FrameCodec.HeaderBytes, SnapshotChunkCodec.DataPrefixBytes + read));
                await channel.WriteFrameAsync(chunk.AsMemory(0, dataOffset + read), cancellation).ConfigureAwait(false);
                progress.Bytes += read;
            }
            if (!answer.IsCompleted)
            {
                small.ResetWrittenCount();
                SnapshotChunkCodec.WriteEnd(small, progress.Bytes, sequence, crc.GetCurrentHashAsUInt64());
                channel.Write(FrameKind.SnapshotChunk, small.WrittenSpan);
                await channel.FlushAsync(cancellation).ConfigureAwait(false);
                progress.Finished = true;
            }
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>The receiver's one frame, or null if the connection ends (or is torn down) first.</summary>
    private static async Task<(FrameKind Kind, byte[] Payload)?> ReadAnswerAsync(FrameChannel channel, CancellationToken cancellation)
    {
        try
        {
            return await channel.ReadOneAsync(cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or SocketException)
        {
            return null;
        }
    }

    private static SnapshotOutcome ToOutcome((FrameKind Kind, byte[] Payload) frame, Progress progress)
    {
        if (frame.Kind != FrameKind.SnapshotResult)
        {
            return progress.Outcome(SnapshotStatus.ConnectionLost, $"a {frame.Kind} frame instead of the snapshot result");
        }
        if (!FramedListener.TryDeserialize(new ReadOnlySequence<byte>(frame.Payload), out SnapshotResult? result, out var error))
        {
            return progress.Outcome(SnapshotStatus.ConnectionLost, error!);
        }
        return result!.Code switch
        {
            SnapshotResultCode.Accepted when progress.Finished => progress.Outcome(SnapshotStatus.Accepted, null),
            SnapshotResultCode.Refused => progress.Outcome(SnapshotStatus.Refused, result.Reason ?? "refused"),
            SnapshotResultCode.ChecksumMismatch => progress.Outcome(SnapshotStatus.ChecksumMismatch, result.Reason ?? "checksum mismatch"),
            SnapshotResultCode.Rejected => progress.Outcome(SnapshotStatus.Rejected, result.Reason ?? "rejected"),
            _ => progress.Outcome(SnapshotStatus.ConnectionLost, $"unexpected answer {result.Code} ({(progress.Finished ? "after" : "before")} the end chunk)"),
        };
    }

    private static bool IsConnectionError(Exception e) =>
        e is IOException or SocketException or TransportException or ObjectDisposedException or OperationCanceledException
            or MessagePack.MessagePackSerializationException;

    private sealed class Progress
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public long Bytes { get; set; }

        /// <summary>The end chunk went out.</summary>
        public bool Finished { get; set; }

        public SnapshotOutcome Outcome(SnapshotStatus status, string? reason) => new(status, reason, Bytes, _clock.Elapsed);
    }

    public void Dispose() => _slots.Dispose();
}
