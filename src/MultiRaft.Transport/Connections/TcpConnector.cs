using System.Net;
using System.Net.Sockets;

namespace MultiRaft.Transport.Connections;

/// <summary>Opens TCP connections for senders and clients (Nagle off: frames are already batched).</summary>
public static class TcpConnector
{
    /// <summary>A connect function for <see cref="RaftSender"/> or RpcClient that dials <paramref name="endpoint"/>
    /// (read on every attempt, so a caller may point it elsewhere between reconnects).</summary>
    public static Func<CancellationToken, ValueTask<Stream>> To(Func<IPEndPoint> endpoint) => async cancellation =>
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint(), cancellation).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new NetworkStream(socket, ownsSocket: true);
    };

    public static Func<CancellationToken, ValueTask<Stream>> To(IPEndPoint endpoint) => To(() => endpoint);

    /// <summary>A connect function for SnapshotSender: dials the address <paramref name="resolve"/> gives for a
    /// store id, afresh for every connection.</summary>
    public static Func<ulong, CancellationToken, ValueTask<Stream>> ToStore(Func<ulong, IPEndPoint> resolve) =>
        (store, cancellation) => To(() => resolve(store))(cancellation);
}
