using System.Net;
using Microsoft.Extensions.Logging;
using MultiRaft.Protocol;
using MultiRaft.Protocol.Kv;
using MultiRaft.Storage.Kv;
using MultiRaft.Storage.RaftLog;
using MultiRaft.Store.Apply;
using MultiRaft.Store.Batch;
using MultiRaft.Store.Network;
using MultiRaft.Store.Pd;
using MultiRaft.Store.Peers;
using MultiRaft.Store.Regions;
using MultiRaft.Store.Service;
using MultiRaft.Store.Snapshots;
using MultiRaft.Transport.Connections;
using MultiRaft.Transport.Rpc;
using MultiRaft.Transport.Snapshots;

namespace MultiRaft.Store;

/// <summary>
/// A store process: the peers of many regions over one shared Raft log (FasterLog) and one KV engine
/// (RocksDB), driven by a batch system, reachable on one port for Raft traffic and client RPC, reporting to
/// PD. <see cref="StartAsync"/> recovers every region the data directory holds.
/// </summary>
public sealed partial class StoreServer : IAsyncDisposable
{
    private readonly StoreOptions _options;
    private readonly ILogger _logger;
    private readonly PdClient _pd;
    private readonly RaftLogEngine _log;
    private readonly KvEngine _kv;
    private readonly PeerRegistry _peers = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Task> _loops = [];
    private readonly EarlyMessages _early = new(maxRegions: 4096, keepFor: TimeSpan.FromSeconds(5));
    private readonly Lock _creatingPeers = new(); // Bootstrap and a leader's message both may create a region's peer.
    private BatchSystem<Peer>? _batch;
    private BatchSystem<ApplyMailbox>? _applies;
    private LogWriter? _writer;
    private StoreRouter? _router;
    private ServiceListener? _listener;
    private PeerFactory? _factory;
    private SnapshotInstaller? _installer;
    private int _disposed;

    private StoreServer(StoreOptions options, PdClient pd, StoreIdentity identity, RaftLogEngine log, KvEngine kv)
    {
        _options = options;
        _logger = options.LoggerFactory.CreateLogger("MultiRaft.Store");
        _pd = pd;
        Identity = identity;
        _log = log;
        _kv = kv;
    }

    public ulong StoreId => Identity.StoreId;

    public ulong ClusterId => Identity.ClusterId;

    internal StoreIdentity Identity { get; }

    /// <summary>Where the store listens (the bound port when the options asked for port 0).</summary>
    public IPEndPoint Endpoint => _listener!.LocalEndPoint;

    /// <summary>Completes when the store stopped: disposed, or failed (then faulted with the reason).</summary>
    public Task Stopped => _stopped.Task;

    public int RegionCount => _peers.Count;

    public int LeaderCount => _peers.All.Count(p => p.IsLeader);

    /// <summary>Whether this store's replica of the region leads it now.</summary>
    internal bool Leads(ulong regionId) => _peers.Find(regionId)?.IsLeader == true;

    /// <summary>Peers that stopped ticking because their region is idle.</summary>
    public int HibernatingCount => _peers.All.Count(p => p.IsHibernating);

    /// <summary>Raft messages dropped on full send queues.</summary>
    public long DroppedMessages => _router?.Dropped ?? 0;

    /// <summary>Snapshots received from leaders and installed.</summary>
    public long SnapshotsInstalled => _installer?.Installed ?? 0;

    public static async Task<StoreServer> StartAsync(StoreOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Directory.CreateDirectory(options.DataDirectory);
        var pd = new PdClient(options.PdEndpoints);
        RaftLogEngine? log = null;
        KvEngine? kv = null;
        try
        {
            var identity = await IdentifyAsync(options, pd, cancellation).ConfigureAwait(false);
            log = RaftLogEngine.Open(new RaftLogEngineOptions
            {
                Directory = Path.Combine(options.DataDirectory, "raft"),
                // Pages large enough for one entry carrying an 8 MiB value.
                PageSizeBits = 26,
                MemorySizeBits = 27,
                SegmentSizeBits = 28,
            });
            kv = KvEngine.Open(Path.Combine(options.DataDirectory, "kv"), new KvEngineOptions
            {
                MaxKeyBytes = options.MaxKeyBytes,
                MaxValueBytes = options.MaxValueBytes,
            });
            var server = new StoreServer(options, pd, identity, log, kv);
            await server.RunAsync(cancellation).ConfigureAwait(false);
            return server;
        }
        catch
        {
            kv?.Dispose();
            log?.Dispose();
            await pd.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<StoreIdentity> IdentifyAsync(StoreOptions options, PdClient pd, CancellationToken cancellation)
    {
        var cluster = await WaitForPdAsync(options, pd, cancellation).ConfigureAwait(false);
        var identity = StoreIdentity.Load(options.DataDirectory);
        if (identity is not null && identity.ClusterId != cluster.ClusterId)
        {
            throw new InvalidOperationException(
                $"{options.DataDirectory} belongs to cluster {identity.ClusterId}, but PD serves cluster {cluster.ClusterId}; refusing to mix them");
        }
        if (identity is null)
        {
            identity = new StoreIdentity(cluster.ClusterId, await pd.AllocIdAsync(1, cancellation).ConfigureAwait(false));
            identity.Save(options.DataDirectory);
        }
        return identity;
    }

    /// <summary>Processes start in any order: a store keeps asking for PD until <see cref="StoreOptions.PdStartupTimeout"/>.</summary>
    private static async Task<Protocol.Pd.GetClusterResponse> WaitForPdAsync(StoreOptions options, PdClient pd, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + options.PdStartupTimeout;
        while (true)
        {
            try
            {
                return await pd.GetClusterAsync(cancellation).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200, cancellation).ConfigureAwait(false);
            }
        }
    }

    private async Task RunAsync(CancellationToken cancellation)
    {
        var transport = new TransportOptions
        {
            ClusterId = ClusterId,
            StoreId = StoreId,
            // Room for one Raft entry or request carrying a value at the size limit.
            MaxFrameBytes = 64 * 1024 * 1024,
        };
        var snapshots = new SnapshotFiles(Path.Combine(_options.DataDirectory, "snap"));
        var metrics = NewMetrics();
        _router = new StoreRouter(transport, ResolveStoreAsync, _peers.Find, snapshots, _logger, metrics);
        var installer = _installer = new SnapshotInstaller(_kv, snapshots);
        var compactor = new LogCompactor(_options, _log, _kv);
        var admin = new AdminService(_options, _peers, _pd, _kv);
        var reporter = new PdReporter(_options, StoreId, _pd, _peers, _kv, new OperatorExecutor(admin, _logger), _logger);
        var schedule = new Action<Peer>(peer => _batch!.Schedule(peer));
        var scheduleApply = new Action<ApplyMailbox>(mailbox => _applies!.Schedule(mailbox));
        _factory = new PeerFactory(_options, StoreId, _log, _kv, snapshots, new TickClock(_options.TickInterval), schedule, scheduleApply);
        var splits = new SplitExecutor(_factory, _peers, _early, reporter.ReportSplit);
        _writer = _options.AsyncLogWrites ? new LogWriter(_log, _router, metrics, OnFatal, _logger) : null;
        var destroyer = new PeerDestroyer(_log, _writer, _kv, _peers, _logger);
        var snapshotRanges = new SnapshotRangeGuard(_kv, _peers, snapshots, _logger);
        _applies = new BatchSystem<ApplyMailbox>(
            "apply",
            _options.ApplyWorkers,
            _options.MaxPeersPerRound,
            () => new ApplyRound(new Applier(_kv, splits, destroyer, _logger), metrics),
            OnFatal,
            _logger);
        _batch = new BatchSystem<Peer>(
            "raft",
            _options.RaftWorkers,
            _options.MaxPeersPerRound,
            () => new RaftRound(_log, _writer, new Applier(_kv, splits, destroyer, _logger), _router, installer, snapshotRanges, compactor, destroyer, metrics, _options.HibernateAfterTicks),
            OnFatal,
            _logger);
        foreach (var region in _kv.LoadRegionStates())
        {
            if (_factory.Open(region) is { } peer)
            {
                _peers.TryAdd(peer);
            }
        }
        var handlers = new KvService(_options, _peers, _kv, metrics).Handlers();
        admin.AddHandlers(handlers);
        var sink = new SnapshotSink(StoreId, snapshots, _peers.Find, _logger, metrics);
        _listener = new ServiceListener(transport, _options.Listen,
            [new RaftService(OnRaftMessage), new RpcService(handlers, _logger), new SnapshotService(sink, logger: _logger)], _logger);
        StartStatus();
        _listener.Start();
        var address = _options.AdvertiseAddress ?? _listener.LocalEndPoint.ToString();
        await _pd.PutStoreAsync(StoreId, address, null, cancellation).ConfigureAwait(false);
        _writer?.Start();
        _applies.Start();
        _batch.Start();
        foreach (var peer in _peers.All)
        {
            peer.TrySchedule();
        }
        _loops.Add(TickAsync(_stop.Token));
        _loops.Add(IgnoreStop(reporter.RunAsync(_stop.Token)));
        _loops.Add(PurgeLogAsync(snapshots, _stop.Token));
        if (_peers.Count == 0)
        {
            _loops.Add(BootstrapAsync(_stop.Token));
        }
        _logger.LogInformation("store {Store} of cluster {Cluster} serves {Regions} regions at {Address}", StoreId, ClusterId, _peers.Count, address);
    }

    private async Task<IPEndPoint> ResolveStoreAsync(ulong storeId, CancellationToken cancellation)
    {
        var store = await _pd.GetStoreAsync(storeId, cancellation).ConfigureAwait(false)
            ?? throw new IOException($"PD does not know store {storeId}");
        return IPEndPoint.Parse(store.Address);
    }

    private void OnRaftMessage(RaftEnvelope envelope)
    {
        if (envelope.ToStore != StoreId)
        {
            return;
        }
        if (_peers.Find(envelope.RegionId) is not { } peer)
        {
            if (!TryCreateReplica(envelope))
            {
                _early.Hold(envelope);
            }
        }
        else if (envelope.Message.To == peer.PeerId)
        {
            peer.Post(new PeerInput(PeerInputKind.RaftMessage, envelope.Message, Hibernate: envelope.Hibernate));
        }
    }

    /// <summary>A leader replicates to a peer of ours we do not host: see <see cref="PeerFactory.OpenForLeader"/>.</summary>
    private bool TryCreateReplica(RaftEnvelope envelope)
    {
        Peer? peer;
        lock (_creatingPeers)
        {
            if ((peer = _factory!.OpenForLeader(envelope.Region, envelope.Message.To, _peers)) is null || !_peers.TryAdd(peer))
            {
                return false;
            }
        }
        _logger.LogInformation("region {Region}: creating replica {Peer} for the leader's snapshot", peer.RegionId, peer.PeerId);
        peer.Post(new PeerInput(PeerInputKind.RaftMessage, envelope.Message));
        return true;
    }

    private async Task TickAsync(CancellationToken cancellation)
    {
        using var timer = new PeriodicTimer(_options.TickInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellation).ConfigureAwait(false))
            {
                foreach (var peer in _peers.All)
                {
                    peer.Nudge();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Reclaims the shared log's disk now and then: its prefix is truncated once nothing live is left
    /// there. Regions with little live log are rewritten forward; those with more are asked to compact, so the
    /// next purge frees the segment.</summary>
    private async Task PurgeLogAsync(SnapshotFiles snapshots, CancellationToken cancellation)
    {
        using var timer = new PeriodicTimer(_options.LogPurgeInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellation).ConfigureAwait(false))
            {
                var result = _log.Purge(_options.LogPurgeRewriteBytes);
                _logger.LogDebug("log purge: {Result}", result);
                foreach (var region in result.MustCompact)
                {
                    _peers.Find(region)?.Post(new PeerInput(PeerInputKind.CompactLog));
                }
                snapshots.DeleteOlderThan(TimeSpan.FromMinutes(10));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void OnFatal(Exception e) => _ = Task.Run(async () =>
    {
        _stopped.TrySetException(e);
        await DisposeAsync().ConfigureAwait(false);
    });

    private static async Task IgnoreStop(Task loop)
    {
        try
        {
            await loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await StopStatusAsync().ConfigureAwait(false);
        await Task.WhenAll(_loops).ConfigureAwait(false);
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }
        _batch?.Dispose();
        _writer?.DrainAndStop(); // Writes already submitted become durable and send what waited for them.
        _applies?.DrainAndStop(); // Entries already handed off complete their proposals.
        if (_router is not null)
        {
            await _router.DisposeAsync().ConfigureAwait(false);
        }
        var stopping = new RegionError(RegionErrorKind.ServerIsBusy, $"store {StoreId} is stopping");
        foreach (var peer in _peers.All)
        {
            peer.Destroy(stopping);
        }
        _kv.Dispose();
        _log.Dispose();
        await _pd.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _stopped.TrySetResult();
    }
}
