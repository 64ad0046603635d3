using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MultiRaft.Protocol;
using MultiRaft.Transport.Framing;

namespace MultiRaft.Cli.Chaos;

/// <summary>
/// A TCP proxy in front of one store that can cut it off from chosen stores: every connection opens with a
/// handshake frame naming the connecting store (0 for clients), so the proxy reads that first frame, asks
/// <c>isBlocked(source)</c>, and either forwards the connection or closes it. When the rules change,
/// <see cref="Enforce"/> closes the open connections that are now blocked. Blocking only inbound connections
/// of a store gives one-way cuts; blocking both stores' sides gives two-way partitions.
/// </summary>
internal sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly Func<ulong, bool> _isBlocked;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<(ulong Source, Socket Inbound, Socket Outbound)> _open = [];
    private readonly Task _acceptLoop;

    public FaultProxy(IPEndPoint listen, IPEndPoint target, Func<ulong, bool> isBlocked)
    {
        _target = target;
        _isBlocked = isBlocked;
        _listener = new TcpListener(listen);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        _acceptLoop = AcceptAsync(_stop.Token);
    }

    public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Closes every open connection whose source is blocked now.</summary>
    public void Enforce()
    {
        lock (_lock)
        {
            foreach (var (source, inbound, outbound) in _open)
            {
                if (_isBlocked(source))
                {
                    inbound.Close();
                    outbound.Close();
                }
            }
        }
    }

    private async Task AcceptAsync(CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            Socket inbound;
            try
            {
                inbound = await _listener.AcceptSocketAsync(cancellation).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = ForwardAsync(inbound, cancellation);
        }
    }

    private async Task ForwardAsync(Socket inbound, CancellationToken cancellation)
    {
        using var outbound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using (inbound)
        {
            try
            {
                inbound.NoDelay = true;
                var (first, source) = await ReadHandshakeAsync(inbound, cancellation).ConfigureAwait(false);
                if (first is null || _isBlocked(source))
                {
                    return;
                }
                await outbound.ConnectAsync(_target, cancellation).ConfigureAwait(false);
                await outbound.SendAsync(first, cancellation).ConfigureAwait(false);
                lock (_lock)
                {
                    _open.Add((source, inbound, outbound));
                }
                try
                {
                    await Task.WhenAny(PumpAsync(inbound, outbound, cancellation), PumpAsync(outbound, inbound, cancellation)).ConfigureAwait(false);
                }
                finally
                {
                    lock (_lock)
                    {
                        _open.RemoveAll(c => c.Inbound == inbound);
                    }
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
            {
                // The connection is gone; the store behind us never notices anything but a closed socket.
            }
        }
    }

    /// <summary>Reads the first frame whole; if it is a handshake, also the store id it names (0 when it is
    /// not one: a garbage connection is forwarded as it is, for the store to refuse).</summary>
    private static async Task<(byte[]? Frame, ulong Source)> ReadHandshakeAsync(Socket inbound, CancellationToken cancellation)
    {
        var header = new byte[FrameCodec.HeaderBytes];
        if (!await ReadExactlyAsync(inbound, header, cancellation).ConfigureAwait(false))
        {
            return (null, 0);
        }
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length is < 0 or > 64 * 1024 || header[4] != (byte)FrameKind.Handshake)
        {
            return (header, 0);
        }
        var frame = new byte[FrameCodec.HeaderBytes + length];
        header.CopyTo(frame, 0);
        if (!await ReadExactlyAsync(inbound, frame.AsMemory(FrameCodec.HeaderBytes), cancellation).ConfigureAwait(false))
        {
            return (null, 0);
        }
        try
        {
            var hello = ProtocolSerializer.Deserialize<Handshake>(new System.Buffers.ReadOnlySequence<byte>(frame, FrameCodec.HeaderBytes, length));
            return (frame, hello.StoreId);
        }
        catch (MessagePack.MessagePackSerializationException)
        {
            return (frame, 0);
        }
    }

    private static async Task<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellation)
    {
        while (!buffer.IsEmpty)
        {
            var read = await socket.ReceiveAsync(buffer, cancellation).ConfigureAwait(false);
            if (read == 0)
            {
                return false;
            }
            buffer = buffer[read..];
        }
        return true;
    }

    private static async Task PumpAsync(Socket from, Socket to, CancellationToken cancellation)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var read = await from.ReceiveAsync(buffer, cancellation).ConfigureAwait(false);
            if (read == 0)
            {
                return;
            }
            await to.SendAsync(buffer.AsMemory(0, read), cancellation).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
        lock (_lock)
        {
            foreach (var (_, inbound, outbound) in _open)
            {
                inbound.Close();
                outbound.Close();
            }
        }
        _stop.Dispose();
    }
}
