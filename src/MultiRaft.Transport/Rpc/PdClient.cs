using System.Buffers;
using System.Net;
using System.Net.Sockets;
using MultiRaft.Protocol;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Pd;
using MultiRaft.Transport.Connections;

namespace MultiRaft.Transport.Rpc;

/// <summary>How a <see cref="PdClient"/> talks to PD.</summary>
public sealed record PdClientOptions
{
    /// <summary>Deadline of each call.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Who we are in the handshake (a store's id; 0 for clients and tools).</summary>
    public ulong StoreId { get; init; }

    /// <summary>Largest frame accepted or sent.</summary>
    public int MaxFrameBytes { get; init; } = new TransportOptions { ClusterId = 0, StoreId = 0 }.MaxFrameBytes;

    /// <summary>How long connecting (TCP and handshake) to one PD endpoint may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);
}

/// <summary>
/// A typed client of PD's RPC methods, shared by many concurrent callers over one connection.
/// <para>It connects lazily. The first connection discovers the cluster id from PD's handshake; from then on
/// a PD of another cluster is refused. A call that fails with <see cref="RpcConnectionException"/> drops the
/// connection; the next call reconnects, starting with the next endpoint. Calls are not retried here: whether
/// a failed one ran is unknown, and only the caller knows whether repeating it is safe.</para>
/// </summary>
public sealed class PdClient : IAsyncDisposable
{
    private readonly IPEndPoint[] _endpoints;
    private readonly PdClientOptions _options;
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private RpcClient? _connection;
    private int _nextEndpoint;
    private long _clusterId;
    private int _disposed;

    public PdClient(IReadOnlyList<IPEndPoint> endpoints, PdClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.Count == 0)
        {
            throw new ArgumentException("at least one PD endpoint is needed", nameof(endpoints));
        }
        _endpoints = [.. endpoints];
        _options = options ?? new PdClientOptions();
    }

    /// <summary>The cluster PD serves; 0 until the first successful connection.</summary>
    public ulong ClusterId => (ulong)Interlocked.Read(ref _clusterId);

    public async Task<GetClusterResponse> GetClusterAsync(CancellationToken ct = default) =>
        await CallAsync<GetClusterRequest, GetClusterResponse>(PdMethods.GetCluster, new GetClusterRequest(), ct).ConfigureAwait(false);

    /// <summary>Registers a store (<paramref name="storeId"/> 0: PD allocates one) or updates its address; returns its id.</summary>
    public async Task<ulong> PutStoreAsync(ulong storeId, string address, string? statusAddress, CancellationToken ct = default) =>
        (await CallAsync<PutStoreRequest, PutStoreResponse>(PdMethods.PutStore, new PutStoreRequest(storeId, address, statusAddress), ct).ConfigureAwait(false)).StoreId;

    public async Task<StoreInfo?> GetStoreAsync(ulong storeId, CancellationToken ct = default) =>
        (await CallAsync<GetStoreRequest, GetStoreResponse>(PdMethods.GetStore, new GetStoreRequest(storeId), ct).ConfigureAwait(false)).Store;

    public async Task<StoreInfo[]> GetAllStoresAsync(CancellationToken ct = default) =>
        (await CallAsync<GetAllStoresRequest, GetAllStoresResponse>(PdMethods.GetAllStores, new GetAllStoresRequest(), ct).ConfigureAwait(false)).Stores;

    /// <summary>Allocates <paramref name="count"/> consecutive ids; returns the first.</summary>
    public async Task<ulong> AllocIdAsync(int count = 1, CancellationToken ct = default) =>
        (await CallAsync<AllocIdRequest, AllocIdResponse>(PdMethods.AllocId, new AllocIdRequest(count), ct).ConfigureAwait(false)).FirstId;

    /// <summary>Reserves <paramref name="count"/> consecutive timestamps; returns the last.</summary>
    public async Task<ulong> TsoAsync(int count = 1, CancellationToken ct = default) =>
        (await CallAsync<TsoRequest, TsoResponse>(PdMethods.Tso, new TsoRequest(count), ct).ConfigureAwait(false)).Timestamp;

    public async Task<RegionInfo?> GetBootstrapRegionAsync(ulong storeId, CancellationToken ct = default) =>
        (await CallAsync<GetBootstrapRegionRequest, GetBootstrapRegionResponse>(PdMethods.GetBootstrapRegion, new GetBootstrapRegionRequest(storeId), ct).ConfigureAwait(false)).Region;

    public Task StoreHeartbeatAsync(ulong storeId, StoreStats stats, CancellationToken ct = default) =>
        CallAsync<StoreHeartbeatRequest, StoreHeartbeatResponse>(PdMethods.StoreHeartbeat, new StoreHeartbeatRequest(storeId, stats), ct);

    /// <summary>Reports a region as its leader sees it; PD answers with the operator step it wants run, if any,
    /// or asks for the whole region.</summary>
    public Task<RegionHeartbeatResponse> RegionHeartbeatAsync(RegionHeartbeatRequest request, CancellationToken ct = default) =>
        CallAsync<RegionHeartbeatRequest, RegionHeartbeatResponse>(PdMethods.RegionHeartbeat, request, ct);

    /// <summary>Operator steps due on the regions this store leads (polled between heartbeats).</summary>
    public async Task<OperatorStep[]> PendingOperatorsAsync(ulong storeId, CancellationToken ct = default) =>
        (await CallAsync<PendingOperatorsRequest, PendingOperatorsResponse>(PdMethods.PendingOperators, new PendingOperatorsRequest(storeId), ct).ConfigureAwait(false)).Steps;

    public Task<GetRegionResponse> GetRegionAsync(byte[] key, CancellationToken ct = default) =>
        CallAsync<GetRegionRequest, GetRegionResponse>(PdMethods.GetRegion, new GetRegionRequest(key), ct);

    public Task<GetRegionResponse> GetRegionByIdAsync(ulong regionId, CancellationToken ct = default) =>
        CallAsync<GetRegionByIdRequest, GetRegionResponse>(PdMethods.GetRegionById, new GetRegionByIdRequest(regionId), ct);

    public async Task<GetRegionResponse[]> ScanRegionsAsync(byte[] start, byte[] end, int limit, CancellationToken ct = default) =>
        (await CallAsync<ScanRegionsRequest, ScanRegionsResponse>(PdMethods.ScanRegions, new ScanRegionsRequest(start, end, limit), ct).ConfigureAwait(false)).Regions;

    public Task ReportSplitAsync(RegionInfo[] regions, CancellationToken ct = default) =>
        CallAsync<ReportSplitRequest, ReportSplitResponse>(PdMethods.ReportSplit, new ReportSplitRequest(regions), ct);

    public Task<GcSafePointResponse> GetGcSafePointAsync(CancellationToken ct = default) =>
        CallAsync<GetGcSafePointRequest, GcSafePointResponse>(PdMethods.GetGcSafePoint, new GetGcSafePointRequest(), ct);

    /// <summary>Asks PD to move the GC safe point up to <paramref name="safePoint"/> (at most the latest
    /// timestamp); PD answers where it is now, which live service safe points may hold below that.</summary>
    public Task<GcSafePointResponse> UpdateGcSafePointAsync(ulong safePoint, CancellationToken ct = default) =>
        CallAsync<UpdateGcSafePointRequest, GcSafePointResponse>(PdMethods.UpdateGcSafePoint, new UpdateGcSafePointRequest(safePoint), ct);

    /// <summary>Keeps GC at or below <paramref name="safePoint"/> for <paramref name="ttl"/> (rounded up to whole
    /// seconds); <see cref="TimeSpan.Zero"/> withdraws <paramref name="serviceId"/>'s safe point.</summary>
    public Task<UpdateServiceSafePointResponse> UpdateServiceSafePointAsync(string serviceId, ulong safePoint, TimeSpan ttl, CancellationToken ct = default)
    {
        // Checked here, not by PD: rounded up, a TTL between -1 s and 0 would arrive as 0, a withdrawal.
        ArgumentOutOfRangeException.ThrowIfLessThan(ttl, TimeSpan.Zero);
        // Rounded up: rounding down would turn a lease shorter than a second into a withdrawal.
        var request = new UpdateServiceSafePointRequest(serviceId, safePoint, (long)Math.Ceiling(ttl.TotalSeconds));
        return CallAsync<UpdateServiceSafePointRequest, UpdateServiceSafePointResponse>(PdMethods.UpdateServiceSafePoint, request, ct);
    }

    /// <summary>
    /// Parses <c>host:port[,host:port...]</c> into IPv4 endpoints ("localhost" is the loopback address; other
    /// names are resolved). Throws <see cref="ArgumentException"/> saying what is wrong with which part.
    /// </summary>
    public static IReadOnlyList<IPEndPoint> ParseEndpoints(string endpoints)
    {
        if (string.IsNullOrWhiteSpace(endpoints))
        {
            throw new ArgumentException("no PD endpoint given (expected host:port[,host:port...])");
        }
        var result = new List<IPEndPoint>();
        foreach (var part in endpoints.Split(',', StringSplitOptions.TrimEntries))
        {
            result.Add(ParseEndpoint(part));
        }
        return result;
    }

    private static IPEndPoint ParseEndpoint(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            throw new ArgumentException($"'{text}' is not host:port");
        }
        var host = text[..colon];
        if (!int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > IPEndPoint.MaxPort)
        {
            throw new ArgumentException($"'{text}': the port must be a number from 1 to {IPEndPoint.MaxPort}");
        }
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }
        if (IPAddress.TryParse(host, out var literal))
        {
            return literal.AddressFamily == AddressFamily.InterNetwork
                ? new IPEndPoint(literal, port)
                : throw new ArgumentException($"'{text}': only IPv4 addresses are supported by the transport");
        }
        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(host);
        }
        catch (SocketException e)
        {
            throw new ArgumentException($"'{text}': cannot resolve host '{host}': {e.Message}", e);
        }
        foreach (var address in addresses)
        {
            if (address.AddressFamily == AddressFamily.InterNetwork)
            {
                return new IPEndPoint(address, port);
            }
        }
        throw new ArgumentException($"'{text}': host '{host}' has no IPv4 address");
    }

    private async Task<TResponse> CallAsync<TRequest, TResponse>(string method, TRequest request, CancellationToken ct)
    {
        var connection = await ConnectionAsync(ct).ConfigureAwait(false);
        byte[] answer;
        try
        {
            answer = await connection.CallAsync(method, ProtocolSerializer.Serialize(request), _options.CallTimeout, ct).ConfigureAwait(false);
        }
        catch (RpcConnectionException)
        {
            await DropAsync(connection).ConfigureAwait(false);
            throw;
        }
        try
        {
            return ProtocolSerializer.Deserialize<TResponse>(new ReadOnlySequence<byte>(answer));
        }
        catch (MessagePack.MessagePackSerializationException e)
        {
            throw new RpcRemoteException(RpcStatus.Internal, $"{method}: PD answered with a malformed body: {e.Message}");
        }
    }

    private async Task<RpcClient> ConnectionAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _connection) is { } current)
        {
            return current;
        }
        await _connecting.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (_connection is { } raced)
            {
                return raced;
            }
            var failures = new List<string>();
            for (var attempt = 0; attempt < _endpoints.Length; attempt++)
            {
                var index = (_nextEndpoint + attempt) % _endpoints.Length;
                var endpoint = _endpoints[index];
                try
                {
                    var connection = await ConnectAsync(endpoint, ct).ConfigureAwait(false);
                    _nextEndpoint = index;
                    Volatile.Write(ref _connection, connection);
                    return connection;
                }
                catch (RpcConnectionException e)
                {
                    failures.Add(e.Message);
                }
            }
            _nextEndpoint = (_nextEndpoint + 1) % _endpoints.Length;
            throw new RpcConnectionException($"no PD reachable: {string.Join("; ", failures)}");
        }
        finally
        {
            _connecting.Release();
        }
    }

    /// <summary>Connects to one endpoint, always in discovery mode so that a PD of another cluster is seen and
    /// named (rather than refused by a bare handshake failure), then checks the cluster ourselves.</summary>
    private async Task<RpcClient> ConnectAsync(IPEndPoint endpoint, CancellationToken ct)
    {
        var transport = new TransportOptions
        {
            ClusterId = TransportOptions.DiscoverCluster,
            StoreId = _options.StoreId,
            MaxFrameBytes = _options.MaxFrameBytes,
            HandshakeTimeout = _options.ConnectTimeout,
        };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_options.ConnectTimeout);
        RpcClient connection;
        try
        {
            connection = await RpcClient.ConnectAsync(transport, TcpConnector.To(endpoint), expectedStore: null, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new RpcConnectionException($"PD at {endpoint}: no connection within {_options.ConnectTimeout.TotalMilliseconds} ms");
        }
        catch (RpcConnectionException e)
        {
            throw new RpcConnectionException($"PD at {endpoint}: {e.Message}", e);
        }
        var cluster = connection.Peer.ClusterId;
        var known = Interlocked.CompareExchange(ref _clusterId, (long)cluster, 0);
        if (known != 0 && (ulong)known != cluster)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new RpcConnectionException($"PD at {endpoint} serves cluster {cluster}, but this client belongs to cluster {(ulong)known}; refusing it");
        }
        return connection;
    }

    private async Task DropAsync(RpcClient connection)
    {
        if (Interlocked.CompareExchange(ref _connection, null, connection) == connection)
        {
            Interlocked.Exchange(ref _nextEndpoint, (_nextEndpoint + 1) % _endpoints.Length);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _connecting.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Interlocked.Exchange(ref _connection, null) is { } connection)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _connecting.Release();
        }
        _connecting.Dispose();
    }
}
