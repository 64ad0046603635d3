using System.Buffers;

namespace MultiRaft.Transport.Framing;

/// <summary>
/// Lays out one whole frame in a single reusable buffer: <see cref="Begin"/> reserves the header, the payload
/// is serialized straight behind it through <see cref="IBufferWriter{T}"/>, and <see cref="Finish"/> fills in
/// length, kind and CRC. The result goes to the connection in one write: no intermediate payload copy, and no
/// splitting of a multi-MiB frame into the pipe's small segments (one system call each). The buffer comes
/// from <see cref="ArrayPool{T}.Shared"/>, grows by doubling and is kept for the next frame.
/// Not thread-safe: one per sending loop.
/// </summary>
public sealed class FrameBuilder : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer;
    private int _written;

    public FrameBuilder(int initialBytes = 64 * 1024) => _buffer = ArrayPool<byte>.Shared.Rent(initialBytes);

    /// <summary>Starts a new frame, discarding the previous one.</summary>
    public void Begin() => _written = FrameCodec.HeaderBytes;

    /// <summary>Writes the header for everything written since <see cref="Begin"/>; returns the whole frame,
    /// valid until the next <see cref="Begin"/>.</summary>
    public ReadOnlyMemory<byte> Finish(FrameKind kind)
    {
        var frame = _buffer.AsSpan(0, _written);
        FrameCodec.WriteHeader(frame[..FrameCodec.HeaderBytes], kind, frame[FrameCodec.HeaderBytes..]);
        return _buffer.AsMemory(0, _written);
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _written);
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Reserve(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }
        var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max((long)_buffer.Length * 2, needed), Array.MaxLength));
        _buffer.AsSpan(0, _written).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _written = 0;
    }
}
