using System.Runtime.InteropServices;

namespace MultiRaft.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM as a cancellation token, so a server stops cleanly — flushing and closing what
/// it opened — instead of being killed mid-write. Keep it alive (and dispose it) for as long as the server
/// runs: the SIGTERM registration only holds while this object does.
/// </summary>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration _terminate;
    private int _disposed;

    public ShutdownSignal()
    {
        Console.CancelKeyPress += OnCancelKey;
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Stop();
        });
    }

    public CancellationToken Token => _stop.Token;

    public bool IsRequested => _stop.IsCancellationRequested;

    private void OnCancelKey(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        Stop();
    }

    private void Stop()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            _stop.Cancel();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Console.CancelKeyPress -= OnCancelKey;
            _terminate.Dispose();
            _stop.Dispose();
        }
    }
}
