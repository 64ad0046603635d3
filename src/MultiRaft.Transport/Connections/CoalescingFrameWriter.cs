using MultiRaft.Transport.Framing;

namespace MultiRaft.Transport.Connections;

/// <summary>
/// Serializes frame writes from many concurrent callers onto one connection and lets frames written together
/// share one flush: each caller writes its frame in turn, and only the last of a burst flushes, sending all
/// of them in one system call.
/// </summary>
public sealed class CoalescingFrameWriter(FrameChannel channel) : IDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private int _pending;

    public async Task WriteAsync(FrameKind kind, byte[] payload, CancellationToken cancellation)
    {
        Interlocked.Increment(ref _pending);
        // Not cancellable: a waiter that left would leave an earlier writer's frame unflushed. The lock is
        // only ever held for a write and a flush.
        await _lock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            channel.Write(kind, payload);
            if (Interlocked.Decrement(ref _pending) == 0)
            {
                await channel.FlushAsync(cancellation).ConfigureAwait(false);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    public void Dispose() => _lock.Dispose();
}
