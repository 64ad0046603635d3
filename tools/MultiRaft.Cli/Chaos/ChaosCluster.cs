using System.Net;
using System.Net.Sockets;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Cli.Chaos;

/// <summary>
/// A cluster of real processes on loopback: PD and N stores, each store behind a <see cref="FaultProxy"/> it
/// advertises as its address, so every connection to it (other stores' Raft traffic and snapshots, clients)
/// passes the network rules.
/// </summary>
internal sealed class ChaosCluster : IAsyncDisposable
{
    private readonly List<FaultProxy> _proxies = [];

    private ChaosCluster(string root, IPEndPoint pd)
    {
        Root = root;
        PdEndpoint = pd;
        Pd = new PdClient([pd]);
    }

    public string Root { get; }

    public IPEndPoint PdEndpoint { get; }

    public PdClient Pd { get; }

    public NetworkRules Network { get; } = new();

    public ServerProcess PdProcess { get; private set; } = null!;

    /// <summary>The store processes, and the store id each registered with.</summary>
    public List<(ServerProcess Process, ulong StoreId)> Stores { get; } = [];

    public static async Task<ChaosCluster> StartAsync(string root, int storeCount, int replicas, CancellationToken cancellation)
    {
        Directory.CreateDirectory(root);
        var cluster = new ChaosCluster(root, new IPEndPoint(IPAddress.Loopback, FreePort()));
        cluster.PdProcess = new ServerProcess("pd", Path.Combine(root, "pd.log"),
            ["pd", "--listen", cluster.PdEndpoint.ToString(), "--data", Path.Combine(root, "pd"), "--max-replicas", replicas.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        cluster.PdProcess.Start();
        var processes = new List<(ServerProcess Process, IPEndPoint Advertised)>();
        for (var i = 0; i < storeCount; i++)
        {
            var real = new IPEndPoint(IPAddress.Loopback, FreePort());
            var proxyIndex = i;
            var proxy = new FaultProxy(new IPEndPoint(IPAddress.Loopback, 0), real,
                source => cluster.Network.IsBlocked(source, cluster.StoreIdAt(proxyIndex)));
            cluster._proxies.Add(proxy);
            var name = $"store{i + 1}";
            var process = new ServerProcess(name, Path.Combine(root, name + ".log"),
                ["store", "--pd", cluster.PdEndpoint.ToString(), "--listen", real.ToString(), "--advertise", proxy.Endpoint.ToString(), "--data", Path.Combine(root, name)]);
            process.Start();
            processes.Add((process, proxy.Endpoint));
        }
        var stores = await cluster.WaitForStoresAsync(storeCount, cancellation).ConfigureAwait(false);
        foreach (var (process, advertised) in processes)
        {
            var id = Array.Find(stores, s => s.Address == advertised.ToString())?.Id
                ?? throw new InvalidOperationException($"{process.Name} never registered with PD");
            cluster.Stores.Add((process, id));
        }
        return cluster;
    }

    private ulong StoreIdAt(int index) => index < Stores.Count ? Stores[index].StoreId : 0;

    private async Task<StoreInfo[]> WaitForStoresAsync(int count, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                var stores = await Pd.GetAllStoresAsync(cancellation).ConfigureAwait(false);
                if (stores.Length >= count)
                {
                    return stores;
                }
            }
            catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException)
            {
                // PD is still starting.
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{count} stores did not register with PD within 60 s (see the logs in {Root})");
            }
            await Task.Delay(200, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>Applies the current network rules to connections already open.</summary>
    public void EnforceNetwork()
    {
        foreach (var proxy in _proxies)
        {
            proxy.Enforce();
        }
    }

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (process, _) in Stores)
        {
            process.Dispose();
        }
        PdProcess.Dispose();
        foreach (var proxy in _proxies)
        {
            await proxy.DisposeAsync().ConfigureAwait(false);
        }
        await Pd.DisposeAsync().ConfigureAwait(false);
    }
}
