using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using MultiRaft.Transport.Framing;

namespace MultiRaft.Transport.Connections;

/// <summary>
/// Frames over one byte stream (a TCP connection): a pipe reader that hands each whole frame to a callback
/// without copying, and a pipe writer that batches frames until <see cref="FlushAsync"/>. A frame error ends
/// <see cref="ReadFramesAsync"/> with its reason; the caller closes this connection, nothing else.
/// </summary>
public sealed class FrameChannel : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly int _maxFrameBytes;
    private bool _disposed;

    private const int ReadSegmentBytes = 64 * 1024;

    public FrameChannel(Stream stream, int maxFrameBytes)
    {
        _stream = stream;
        _maxFrameBytes = maxFrameBytes;
        // 64 KiB read segments instead of the default 4 KiB (a system call and a pooled array each), and
        // larger ones for a large frame (NextReadBytes). A waiting read holds one pooled 64 KiB array.
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ReadSegmentBytes, leaveOpen: true));
        _writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    /// <summary>Reads frames until the peer closes, <paramref name="onFrame"/> returns false, cancellation, or
    /// a malformed frame; returns why it stopped (null for a clean end).</summary>
    public async Task<string?> ReadFramesAsync(Func<FrameKind, ReadOnlySequence<byte>, bool> onFrame, CancellationToken cancellation)
    {
        try
        {
            var minimum = 0;
            while (true)
            {
                var result = minimum > 0
                    ? await _reader.ReadAtLeastAsync(minimum, cancellation).ConfigureAwait(false)
                    : await _reader.ReadAsync(cancellation).ConfigureAwait(false);
                var buffer = result.Buffer;
                var stopped = false;
                try
                {
                    while (FrameCodec.TryRead(ref buffer, _maxFrameBytes, out var kind, out var payload))
                    {
                        if (!onFrame(kind, payload))
                        {
                            stopped = true;
                            return null;
                        }
                    }
                }
                finally
                {
                    // Consumed up to `buffer`. Stopping early leaves the rest unexamined, so the next read
                    // sees frames already buffered instead of waiting for more bytes.
                    if (stopped)
                    {
                        _reader.AdvanceTo(buffer.Start);
                    }
                    else
                    {
                        _reader.AdvanceTo(buffer.Start, result.Buffer.End);
                    }
                }
                if (result.IsCompleted || result.IsCanceled)
                {
                    return buffer.IsEmpty ? null : "connection closed inside a frame";
                }
                minimum = NextReadBytes(buffer);
            }
        }
        catch (FrameException e)
        {
            return e.Message;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (IOException e)
        {
            return e.Message;
        }
        catch (InvalidOperationException) when (Volatile.Read(ref _disposed))
        {
            // Disposed while the loop was between reads: the next read finds the reader completed.
            return null;
        }
    }

    /// <summary>
    /// How much to ask the next read for when <paramref name="unread"/> holds the start of a large frame: twice
    /// what has arrived, up to the whole frame. The pipe then reads into segments of that size, so a
    /// multi-MiB frame lands in a few large pooled buffers (reused frame after frame, with few system calls)
    /// rather than in hundreds of 64 KiB ones that overflow the pool. Doubling what actually arrived keeps a
    /// peer that announces a large frame and sends little from making this side reserve much: a new segment
    /// is under four times what arrived (pooled arrays come in powers of two), so all of them hold at most
    /// about five times that. 0: a plain read.
    /// </summary>
    private static int NextReadBytes(in ReadOnlySequence<byte> unread)
    {
        if (unread.Length < ReadSegmentBytes)
        {
            return 0;
        }
        // TryRead has already checked this length against the limit.
        Span<byte> length = stackalloc byte[4];
        unread.Slice(0, 4).CopyTo(length);
        var frameBytes = FrameCodec.HeaderBytes + (long)BinaryPrimitives.ReadInt32LittleEndian(length);
        return (int)Math.Min(frameBytes, 2 * unread.Length);
    }

    /// <summary>Reads exactly one frame (the handshake), or null if the connection ended or misbehaved first.</summary>
    public async Task<(FrameKind Kind, byte[] Payload)?> ReadOneAsync(CancellationToken cancellation)
    {
        (FrameKind, byte[])? frame = null;
        await ReadFramesAsync((kind, payload) =>
        {
            frame = (kind, payload.ToArray());
            return false;
        }, cancellation).ConfigureAwait(false);
        return frame;
    }

    /// <summary>Buffers one frame; it goes out with the next <see cref="FlushAsync"/>.</summary>
    public void Write(FrameKind kind, ReadOnlySpan<byte> payload) => FrameCodec.Write(_writer, kind, payload);

    public async ValueTask FlushAsync(CancellationToken cancellation) => await _writer.FlushAsync(cancellation).ConfigureAwait(false);

    /// <summary>Sends a whole encoded frame (see <see cref="FrameCodec.WriteHeader"/>, <see cref="FrameBuilder"/>)
    /// after everything buffered, in one write to the connection instead of through the pipe's small segments.</summary>
    public async ValueTask WriteFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellation)
    {
        if (_writer.UnflushedBytes > 0)
        {
            await _writer.FlushAsync(cancellation).ConfigureAwait(false);
        }
        await _stream.WriteAsync(frame, cancellation).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _disposed, true);
        await _reader.CompleteAsync().ConfigureAwait(false);
        try
        {
            // Completing flushes what is still buffered: on a broken connection that write fails, and a
            // connection that broke is no reason for its disposal to throw.
            await _writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
        }
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
