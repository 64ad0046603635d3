using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Hashing;
using MultiRaft.Protocol;
using MultiRaft.Transport.Framing;
using MultiRaft.Transport.Snapshots;

namespace MultiRaft.Transport.Tests;

/// <summary>A read-only stream of <c>length</c> seeded pseudo-random bytes (xorshift64*), generated as read,
/// so a 256 MiB snapshot never sits in memory. Optionally fails with an IOException after some bytes.</summary>
internal sealed class PseudoRandomStream(long length, ulong seed, long failAfter = long.MaxValue) : Stream
{
    private ulong _state = seed | 1;
    private ulong _word;
    private int _wordBytesLeft;
    private long _position;

    public override int Read(Span<byte> buffer)
    {
        var count = (int)Math.Min(buffer.Length, length - _position);
        if (_position + count > failAfter)
        {
            throw new IOException($"source failed at byte {failAfter}");
        }
        var span = buffer[..count];
        while (span.Length > 0 && _wordBytesLeft > 0)
        {
            span[0] = (byte)_word;
            span = span[1..];
            _word >>= 8;
            _wordBytesLeft--;
        }
        while (span.Length >= 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span, Next());
            span = span[8..];
        }
        if (span.Length > 0)
        {
            _word = Next();
            _wordBytesLeft = 8;
            while (span.Length > 0)
            {
                span[0] = (byte)_word;
                span = span[1..];
                _word >>= 8;
                _wordBytesLeft--;
            }
        }
        _position += count;
        return count;
    }

    private ulong Next()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return _state * 0x2545F4914F6CDD1DUL;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));

    /// <summary>CRC-64 of the whole stream, as the receiver should compute it.</summary>
    public static ulong Checksum(long length, ulong seed)
    {
        using var stream = new PseudoRandomStream(length, seed);
        var crc = new Crc64();
        var buffer = new byte[1 << 20];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            crc.Append(buffer.AsSpan(0, read));
        }
        return crc.GetCurrentHashAsUInt64();
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A write-only stream that keeps only the CRC-64 and the length of what it was given.</summary>
internal sealed class HashingStream : Stream
{
    private readonly Crc64 _crc = new();
    private long _length;

    public ulong Checksum => _crc.GetCurrentHashAsUInt64();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _crc.Append(buffer);
        _length += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _length;
    public override long Position { get => _length; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>A sink that hashes instead of storing, counts what happened, and can refuse, reject, or hold
/// completions until <see cref="Gate"/> opens.</summary>
internal sealed class HashingSink : ISnapshotSink
{
    private int _begun;
    private int _aborted;
    private int _completing;

    public string? Refusal { get; init; }

    public string? Rejection { get; init; }

    /// <summary>When set, CompleteAsync waits for it (or the listener stopping).</summary>
    public TaskCompletionSource? Gate { get; init; }

    public int Begun => Volatile.Read(ref _begun);

    public int Aborted => Volatile.Read(ref _aborted);

    /// <summary>CompleteAsync calls so far, finished or waiting at the gate.</summary>
    public int Completing => Volatile.Read(ref _completing);

    public ConcurrentQueue<(ulong Region, long Bytes, ulong Checksum)> Completed { get; } = new();

    public Stream? BeginReceive(RaftEnvelope header, out string? refuseReason)
    {
        refuseReason = Refusal;
        if (refuseReason is not null)
        {
            return null;
        }
        Interlocked.Increment(ref _begun);
        return new HashingStream();
    }

    public async Task<string?> CompleteAsync(RaftEnvelope header, Stream received, CancellationToken cancellation)
    {
        Interlocked.Increment(ref _completing);
        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellation);
        }
        var hashed = (HashingStream)received;
        Completed.Enqueue((header.RegionId, hashed.Length, hashed.Checksum));
        await received.DisposeAsync();
        return Rejection;
    }

    public void Abort(RaftEnvelope header, Stream received)
    {
        Interlocked.Increment(ref _aborted);
        received.Dispose();
    }
}

/// <summary>
/// Sits between a sender and its socket and sees whole frames: <c>rewrite</c> may replace a frame's payload
/// (the frame's CRC-32C is recomputed, so only the snapshot's own checksum can notice) or return null to cut
/// the connection there.
/// </summary>
internal sealed class FrameRewritingStream(Stream inner, Func<FrameKind, byte[], byte[]?> rewrite) : Stream
{
    private byte[] _pending = [];

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var bytes = new ReadOnlySequence<byte>([.. _pending, .. buffer.Span]);
        var output = new ArrayBufferWriter<byte>();
        while (FrameCodec.TryRead(ref bytes, int.MaxValue, out var kind, out var payload))
        {
            if (rewrite(kind, payload.ToArray()) is not { } rewritten)
            {
                await inner.DisposeAsync();
                throw new IOException("connection cut by the test");
            }
            FrameCodec.Write(output, kind, rewritten);
        }
        _pending = bytes.ToArray();
        await inner.WriteAsync(output.WrittenMemory, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, default).GetAwaiter().GetResult();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
