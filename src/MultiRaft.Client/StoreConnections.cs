using System.Collections.Concurrent;
using System.Net;
using MultiRaft.Transport.Connections;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Client;

/// <summary>A few RPC connections per store, shared by every caller (calls multiplex on them, taken in turn, so
/// one slow socket does not hold up everyone); a closed connection is replaced on the next use. Store
/// addresses come from PD.</summary>
internal sealed class StoreConnections(PdClient pd, int maxFrameBytes, int perStore) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(ulong Store, int Slot), Task<RpcClient>> _connections = new();
    private int _turn;

    /// <summary>A live connection to the store: at once, without allocating, when one is open.</summary>
    public ValueTask<RpcClient> GetAsync(ulong storeId, CancellationToken cancellation)
    {
        var key = (storeId, (int)((uint)Interlocked.Increment(ref _turn) % (uint)perStore));
        return _connections.TryGetValue(key, out var connecting) && connecting.IsCompletedSuccessfully && !connecting.Result.IsClosed
            ? new ValueTask<RpcClient>(connecting.Result)
            : new ValueTask<RpcClient>(ConnectOrReplaceAsync(key, cancellation));
    }

    private async Task<RpcClient> ConnectOrReplaceAsync((ulong Store, int Slot) key, CancellationToken cancellation)
    {
        while (true)
        {
            var connecting = _connections.GetOrAdd(key, k => ConnectAsync(k.Store, cancellation));
            RpcClient client;
            try
            {
                client = await connecting.ConfigureAwait(false);
            }
            catch
            {
                _connections.TryRemove(new KeyValuePair<(ulong, int), Task<RpcClient>>(key, connecting));
                throw;
            }
            if (!client.IsClosed)
            {
                return client;
            }
            if (_connections.TryRemove(new KeyValuePair<(ulong, int), Task<RpcClient>>(key, connecting)))
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<RpcClient> ConnectAsync(ulong storeId, CancellationToken cancellation)
    {
        var store = await pd.GetStoreAsync(storeId, cancellation).ConfigureAwait(false)
            ?? throw new RpcConnectionException($"PD does not know store {storeId}");
        if (!IPEndPoint.TryParse(store.Address, out var endpoint))
        {
            throw new RpcConnectionException($"store {storeId} has an unusable address '{store.Address}'");
        }
        var options = new TransportOptions { ClusterId = pd.ClusterId, StoreId = 0, MaxFrameBytes = maxFrameBytes };
        return await RpcClient.ConnectAsync(options, TcpConnector.To(endpoint), storeId, cancellation).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connecting in _connections.Values)
        {
            if (connecting.IsCompletedSuccessfully)
            {
                await connecting.Result.DisposeAsync().ConfigureAwait(false);
            }
        }
        _connections.Clear();
    }
}
