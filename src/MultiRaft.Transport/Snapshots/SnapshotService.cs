using System.Buffers;
using System.IO.Hashing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MultiRaft.Protocol;
using MultiRaft.Raft;
using MultiRaft.Transport.Connections;
using MultiRaft.Transport.Framing;

namespace MultiRaft.Transport.Snapshots;

/// <summary>
/// Receives snapshot streams (SnapshotChunk frames) on a store's listener, one snapshot per connection. The
/// header asks <see cref="ISnapshotSink.BeginReceive"/> for a stream; data chunks are checked for order and
/// written to it as they arrive, straight from the frame buffer (the connection reads no further while a
/// chunk is written, so a slow disk slows the sender and memory stays at a frame or two); the end chunk's
/// length, chunk count and CRC-64 are checked before the sink may take the data. The receiver answers once
/// with a SnapshotResult frame. A snapshot beyond <see cref="SnapshotOptions.MaxConcurrentReceives"/>, or one
/// the sink refuses, is answered Refused at once and its remaining data discarded. A connection that breaks
/// the protocol (chunks out of order, a chunk after the end, a malformed chunk) is closed; one that ends
/// mid-snapshot aborts the sink.
/// </summary>
public sealed class SnapshotService(ISnapshotSink sink, SnapshotOptions? options = null, ILogger? logger = null) : IFrameService
{
    private readonly ISnapshotSink _sink = sink;
    private readonly SnapshotOptions _options = options ?? new SnapshotOptions();
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private int _receiving;

    public FrameKind Kind => FrameKind.SnapshotChunk;

    /// <summary>Snapshots being received or handed to the sink now.</summary>
    public int Receiving => Volatile.Read(ref _receiving);

    public IFrameSession Open(CoalescingFrameWriter writer, Handshake peer, CancellationToken cancellation) => new Session(this, writer, peer, cancellation);

    private bool TryTakeSlot()
    {
        if (Interlocked.Increment(ref _receiving) <= _options.MaxConcurrentReceives)
        {
            return true;
        }
        Interlocked.Decrement(ref _receiving);
        return false;
    }

    private void ReleaseSlot() => Interlocked.Decrement(ref _receiving);

    private sealed class Session(SnapshotService service, CoalescingFrameWriter writer, Handshake peer, CancellationToken cancellation) : IFrameSession
    {
        private readonly Crc64 _crc = new();
        private State _state;
        private RaftEnvelope? _header;
        private Stream? _destination; // ours (with a receive slot) until handed back to the sink
        private long _nextSequence;
        private long _bytes;
        private Task _answer = Task.CompletedTask;

        private enum State
        {
            AwaitingHeader,
            Receiving,
            /// <summary>Answered already (refused, or a write failed): data is discarded until the end.</summary>
            Discarding,
            Ended,
        }

        public bool OnFrame(in ReadOnlySequence<byte> payload, out string? error)
        {
            if (SnapshotChunkCodec.TryRead(payload, out var chunk, out error))
            {
                error = (_state, chunk.Kind) switch
                {
                    (State.AwaitingHeader, SnapshotChunkKind.Header) => Begin(chunk.Header!),
                    (State.Receiving or State.Discarding, SnapshotChunkKind.Data) => Write(chunk),
                    (State.Receiving or State.Discarding, SnapshotChunkKind.End) => Finish(chunk),
                    (State.Ended, _) => $"snapshot {chunk.Kind} chunk after the end chunk",
                    _ => $"snapshot {chunk.Kind} chunk while {_state}",
                };
            }
            if (error is not null)
            {
                AbortSink($"protocol error: {error}");
                _state = State.Ended;
            }
            return error is null;
        }

        private string? Begin(RaftEnvelope header)
        {
            if (header.Message.Type != MessageType.InstallSnapshot || header.Message.Snapshot is not { Data.IsEmpty: true })
            {
                return $"snapshot header holds a {header.Message.Type} message, expected InstallSnapshot without inline data";
            }
            if (header.FromStore != peer.StoreId)
            {
                return $"snapshot header from store {header.FromStore} on a connection from store {peer.StoreId}";
            }
            _header = header;
            if (!service.TryTakeSlot())
            {
                Refuse($"busy: already receiving {service._options.MaxConcurrentReceives} snapshots");
                return null;
            }
            string? refusal;
            try
            {
                _destination = service._sink.BeginReceive(header, out refusal);
            }
#pragma warning disable CA1031 // A sink that cannot begin (no disk space, ...) refuses this snapshot; the store goes on.
            catch (Exception e)
#pragma warning restore CA1031
            {
                (_destination, refusal) = (null, $"the store could not begin receiving: {e.Message}");
            }
            if (_destination is null)
            {
                service.ReleaseSlot();
                Refuse(refusal ?? "refused by the store");
                return null;
            }
            _state = State.Receiving;
            return null;
        }

        private string? Write(in SnapshotChunk chunk)
        {
            if (chunk.Sequence != _nextSequence)
            {
                return $"snapshot data chunk {chunk.Sequence}, expected {_nextSequence}";
            }
            _nextSequence++;
            if (_state == State.Discarding)
            {
                return null;
            }
            try
            {
                foreach (var segment in chunk.Data)
                {
                    _crc.Append(segment.Span);
                    _destination!.Write(segment.Span);
                }
            }
#pragma warning disable CA1031 // A failing sink stream (disk full, ...) rejects this snapshot, not the connection.
            catch (Exception e)
#pragma warning restore CA1031
            {
                AbortSink($"writing failed: {e.Message}");
                Answer(SnapshotResultCode.Rejected, $"the store could not write the snapshot: {e.Message}");
                _state = State.Discarding;
                return null;
            }
            _bytes += chunk.Data.Length;
            return null;
        }

        private string? Finish(in SnapshotChunk end)
        {
            var discarding = _state == State.Discarding;
            _state = State.Ended;
            if (discarding)
            {
                return null;
            }
            var checksum = _crc.GetCurrentHashAsUInt64();
            if (end.TotalBytes != _bytes || end.ChunkCount != _nextSequence || end.Checksum != checksum)
            {
                var reason = $"sent {end.TotalBytes} bytes in {end.ChunkCount} chunks with CRC-64 {end.Checksum:x16}, received {_bytes} bytes in {_nextSequence} chunks with CRC-64 {checksum:x16}";
                AbortSink(reason);
                Answer(SnapshotResultCode.ChecksumMismatch, reason);
                return null;
            }
            var received = _destination!;
            _destination = null; // The slot goes with it to the completion, which releases it.
            _answer = TakeAsync(_header!, received);
            return null;
        }

        /// <summary>Hands verified data to the sink, frees the receive slot, answers.</summary>
        private async Task TakeAsync(RaftEnvelope header, Stream received)
        {
            string? rejection;
            try
            {
                rejection = await service._sink.CompleteAsync(header, received, cancellation).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A sink that throws rejects the snapshot; the sender hears why.
            catch (Exception e)
#pragma warning restore CA1031
            {
                rejection = $"the store failed to take the snapshot: {e.Message}";
            }
            finally
            {
                service.ReleaseSlot();
            }
            if (rejection is null && service._logger.IsEnabled(LogLevel.Information))
            {
                service._logger.LogInformation("received snapshot of region {Region} from store {Store}: {Bytes} bytes in {Chunks} chunks",
                    header.RegionId, peer.StoreId, _bytes, _nextSequence);
            }
            else if (rejection is not null)
            {
                service._logger.LogWarning("store rejected snapshot of region {Region} from store {Store}: {Reason}", header.RegionId, peer.StoreId, rejection);
            }
            await AnswerAsync(rejection is null ? SnapshotResultCode.Accepted : SnapshotResultCode.Rejected, rejection).ConfigureAwait(false);
        }

        private void Refuse(string reason)
        {
            if (service._logger.IsEnabled(LogLevel.Information))
            {
                service._logger.LogInformation("refusing snapshot of region {Region} from store {Store}: {Reason}", _header!.RegionId, peer.StoreId, reason);
            }
            Answer(SnapshotResultCode.Refused, reason);
            _state = State.Discarding;
        }

        /// <summary>Gives a stream we still hold back to the sink as failed, and frees its receive slot.</summary>
        private void AbortSink(string reason)
        {
            if (_destination is not { } destination)
            {
                return;
            }
            _destination = null;
            if (service._logger.IsEnabled(LogLevel.Warning))
            {
                service._logger.LogWarning("aborting snapshot of region {Region} from store {Store} after {Bytes} bytes: {Reason}", _header!.RegionId, peer.StoreId, _bytes, reason);
            }
            try
            {
                service._sink.Abort(_header!, destination);
            }
#pragma warning disable CA1031 // Cleanup failing must not take the connection's read loop down.
            catch (Exception e)
#pragma warning restore CA1031
            {
                service._logger.LogError(e, "aborting the snapshot sink failed");
            }
            finally
            {
                service.ReleaseSlot();
            }
        }

        private void Answer(SnapshotResultCode code, string? reason) => _answer = AnswerAsync(code, reason);

        private async Task AnswerAsync(SnapshotResultCode code, string? reason)
        {
            try
            {
                await writer.WriteAsync(FrameKind.SnapshotResult, ProtocolSerializer.Serialize(new SnapshotResult(code, reason)), cancellation).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                // The sender is gone, or the listener is stopping: nobody to answer.
            }
        }

        public Task CompleteAsync()
        {
            if (_state is State.Receiving)
            {
                AbortSink("the connection ended mid-snapshot");
            }
            _state = State.Ended;
            return _answer;
        }
    }
}
