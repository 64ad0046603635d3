using System.Net;
using MultiRaft.Client;
using MultiRaft.PlacementDriver;
using MultiRaft.PlacementDriver.Scheduling;
using MultiRaft.Protocol;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Pd;
using MultiRaft.Transport.Connections;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Store.Tests;

/// <summary>A real PD and real stores on loopback ports, with fast ticks, in temp directories that are
/// deleted afterwards. Stores can be stopped and restarted over their directories.</summary>
internal sealed class TestCluster : IAsyncDisposable
{
    private readonly string _root;
    private readonly IPEndPoint?[] _storeEndpoints;

    private readonly Func<StoreOptions, StoreOptions> _tune;

    private TestCluster(PdServer pd, int storeCount, string root, Func<StoreOptions, StoreOptions>? tune)
    {
        Pd = pd;
        _root = root;
        _tune = tune ?? (o => o);
        Stores = new StoreServer?[storeCount];
        _storeEndpoints = new IPEndPoint?[storeCount];
    }

    public PdServer Pd { get; }

    public StoreServer?[] Stores { get; }

    /// <param name="tune">Adjusts every store's options (thresholds a test wants to reach quickly).</param>
    /// <param name="operators">PD's answers to region heartbeats (a test's stand-in for the schedulers).</param>
    /// <param name="withPdScheduling">Run PD's own schedulers and HTTP API (ignores <paramref name="operators"/>).</param>
    public static async Task<TestCluster> StartAsync(int stores = 3, Func<StoreOptions, StoreOptions>? tune = null, IOperatorSource? operators = null,
        bool withPdScheduling = false)
    {
        var root = Path.Combine(Path.GetTempPath(), "multiraft-store-tests", Guid.NewGuid().ToString("N"));
        var pd = await PdServer.StartAsync(PdOptions(root, new IPEndPoint(IPAddress.Loopback, 0), Math.Min(3, stores)) with
        {
            Operators = withPdScheduling ? null : operators ?? NoOperators.Instance,
            HttpListen = withPdScheduling ? new IPEndPoint(IPAddress.Loopback, 0) : null,
        });
        var cluster = new TestCluster(pd, stores, root, tune);
        for (var i = 0; i < stores; i++)
        {
            await cluster.StartStoreAsync(i);
        }
        return cluster;
    }

    private static PdServerOptions PdOptions(string root, IPEndPoint listen, int replicas) => new()
    {
        Listen = listen,
        DataDirectory = Path.Combine(root, "pd"),
        MaxReplicas = replicas,
    };

    public string StoreDirectory(int i) => Path.Combine(_root, $"store{i}");

    public async Task StartStoreAsync(int i)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Stores[i] = await StoreServer.StartAsync(Options(i));
                break;
            }
            catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse && attempt < 50)
            {
                // Tests run in parallel: an outgoing connection may hold the old port for a moment.
                await Task.Delay(100);
            }
            catch (RpcTimeoutException) when (attempt < 5)
            {
                // A loaded 2-core machine can leave PD's answer to a starting store's id request late; the
                // store saves its id only once it has one, so starting again is safe.
                await Task.Delay(100);
            }
        }
        _storeEndpoints[i] = Stores[i]!.Endpoint;
    }

    private StoreOptions Options(int i) => _tune(new StoreOptions
        {
            DataDirectory = StoreDirectory(i),
            // A restarted store comes back on the port it had, as a real one would.
            Listen = _storeEndpoints[i] ?? new IPEndPoint(IPAddress.Loopback, 0),
            PdEndpoints = [Pd.Endpoint],
            // Fast elections, but not so fast that a store starved for a moment on a loaded 2-core machine
            // (Raft time follows the real clock) loses its leaderships.
            TickInterval = TimeSpan.FromMilliseconds(40),
            RegionHeartbeatInterval = TimeSpan.FromMilliseconds(500),
            BootstrapPollInterval = TimeSpan.FromMilliseconds(20),
        });

    public async Task StopStoreAsync(int i)
    {
        await Stores[i]!.DisposeAsync();
        Stores[i] = null;
    }

    public RawKvClient NewClient(TimeSpan? timeout = null) => new([Pd.Endpoint], new RawKvClientOptions
    {
        Timeout = timeout ?? TimeSpan.FromSeconds(20),
        RpcTimeout = TimeSpan.FromSeconds(5),
    });

    /// <summary>Waits until PD routes the first region to a leader that answers reads.</summary>
    public async Task<(RegionInfo Region, PeerInfo Leader)> WaitForLeaderAsync(byte[]? key = null)
    {
        await using var pd = new PdClient([Pd.Endpoint]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            GetRegionResponse answer;
            try
            {
                answer = await pd.GetRegionAsync(key ?? "a"u8.ToArray());
            }
            catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException)
            {
                // A busy 2-core machine (CI runs every test assembly at once) can leave a call unanswered
                // for a while, or miss PD's handshake timeout while the stores start: ask again.
                await Task.Delay(50);
                continue;
            }
            if (answer.Region is { } region && answer.Leader is { } leader && StoreById(leader.StoreId) is { } store && store.LeaderCount > 0)
            {
                return (region, leader);
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("no region leader within 30 s");
    }

    public StoreServer? StoreById(ulong storeId) => Array.Find(Stores, s => s is not null && s.StoreId == storeId);

    /// <summary>A raw RPC connection to a store, for requests the client library would never send.</summary>
    public async Task<RpcClient> ConnectAsync(StoreServer store) =>
        await RpcClient.ConnectAsync(new TransportOptions { ClusterId = Pd.ClusterId, StoreId = 0, MaxFrameBytes = 64 << 20 }, TcpConnector.To(store.Endpoint), store.StoreId, default);

    public static async Task<TResponse> CallAsync<TRequest, TResponse>(RpcClient client, string method, TRequest request) =>
        ProtocolSerializer.Deserialize<TResponse>(new System.Buffers.ReadOnlySequence<byte>(
            await client.CallAsync(method, ProtocolSerializer.Serialize(request), TimeSpan.FromSeconds(10))));

    public async ValueTask DisposeAsync()
    {
        foreach (var store in Stores)
        {
            if (store is not null)
            {
                await store.DisposeAsync();
            }
        }
        await Pd.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
    }
}
