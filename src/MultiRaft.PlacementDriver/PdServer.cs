using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MultiRaft.PlacementDriver.Scheduling;
using MultiRaft.PlacementDriver.Storage;
using MultiRaft.Transport.Connections;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.PlacementDriver;

/// <summary>
/// A placement driver: recovers its metadata, then serves every <see cref="Protocol.Pd.PdMethods"/> method
/// over the RPC transport. Its listener accepts clients that do not know the cluster yet (they learn the
/// cluster id from the handshake).
/// </summary>
public sealed class PdServer : IAsyncDisposable
{
    private readonly MetadataStore _metadata;
    private readonly RegionFlusher _flusher;
    private readonly RpcServer _rpc;
    private Http.PdHttpApi? _http;

    private PdServer(ulong clusterId, MetadataStore metadata, RegionFlusher flusher, RpcServer rpc, RegionRegistry regions, StoreRegistry stores,
        SchedulerRunner? schedulers)
    {
        Schedulers = schedulers;
        ClusterId = clusterId;
        _metadata = metadata;
        _flusher = flusher;
        _rpc = rpc;
        Regions = regions;
        Stores = stores;
    }

    public ulong ClusterId { get; }

    /// <summary>Where it listens (the real port when the options asked for port 0).</summary>
    public IPEndPoint Endpoint => _rpc.LocalEndPoint;

    /// <summary>Where the HTTP API listens, when <see cref="PdServerOptions.HttpListen"/> asked for one.</summary>
    public IPEndPoint? HttpEndpoint => _http?.Endpoint;

    internal Http.PdHttpApi? HttpApi => _http;

    public RegionRegistry Regions { get; }

    public StoreRegistry Stores { get; }

    /// <summary>The schedulers (list, enable, disable, configure, run a round), or null when
    /// <see cref="PdServerOptions.Operators"/> replaced PD's scheduling.</summary>
    public SchedulerRunner? Schedulers { get; }

    /// <summary>The operators: running ones with their reasons, recent history, cancel; null as for
    /// <see cref="Schedulers"/>.</summary>
    public OperatorController? Operators => Schedulers?.Controller;

    public static async Task<PdServer> StartAsync(PdServerOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logger = options.Logger ?? NullLogger.Instance;
        // Recovery reads the whole log (up to every region): keep it off the caller's thread.
        var metadata = await Task.Run(() => MetadataStore.Open(options.DataDirectory), cancellation).ConfigureAwait(false);
        RegionFlusher? flusher = null;
        SchedulerRunner? schedulers = null;
        try
        {
            if (metadata.DiscardedBytes > 0 && logger.IsEnabled(LogLevel.Warning))
            {
                logger.LogWarning("Cut {Bytes} bytes of torn metadata at the end of the log", metadata.DiscardedBytes);
            }
            var clusterId = metadata.Recovered.ClusterId;
            var newCluster = clusterId == 0;
            if (newCluster)
            {
                clusterId = NewClusterId();
                metadata.Write(new MetaRecord(MetaRecordKind.ClusterId, clusterId));
                if (logger.IsEnabled(LogLevel.Information))
                {
                    logger.LogInformation("New cluster {ClusterId}", clusterId);
                }
            }
            var ids = new IdAllocator(metadata);
            var tso = new TimestampOracle(metadata, options.Clock, options.TsoWindow);
            var gc = new GcSafePoints(metadata, tso, options.Clock, newCluster);
            var stores = new StoreRegistry(metadata, ids, options);
            var regions = new RegionRegistry(metadata.Recovered.Regions.Values);
            var bootstrapper = new Bootstrapper(metadata, ids, stores, regions, options.MaxReplicas, logger);
            flusher = new RegionFlusher(regions, metadata, options.RegionFlushInterval, logger);
            var operators = options.Operators;
            if (operators is null)
            {
                var controller = new OperatorController(options.Scheduling.Limits, options.Clock, logger);
                schedulers = SchedulerRunner.Create(options.Scheduling, controller,
                    new RegistryClusterView(stores, regions, ids, options.MaxReplicas), options.Clock, logger);
                operators = controller;
            }
            Http.PdHttpApi? http = null;
            var service = new PdService(() => clusterId, () => http?.Endpoint.ToString(), options.MaxReplicas, ids, tso, gc, stores, regions, bootstrapper, operators);
            var transport = new TransportOptions { ClusterId = clusterId, StoreId = 0, AcceptClusterDiscovery = true };
            var rpc = new RpcServer(transport, options.Listen, service.Handlers(), logger);
            rpc.Start();
            if (options.HttpListen is { } httpListen)
            {
                http = await Http.PdHttpApi.StartAsync(httpListen, stores, regions, ids, gc, schedulers, cancellation).ConfigureAwait(false);
            }
            schedulers?.Start();
            if (logger.IsEnabled(LogLevel.Information))
            {
                logger.LogInformation("PD of cluster {ClusterId} listening on {Endpoint} ({Stores} stores, {Regions} regions)",
                    clusterId, rpc.LocalEndPoint, stores.GetAll().Length, regions.Count);
            }
            return new PdServer(clusterId, metadata, flusher, rpc, regions, stores, schedulers) { _http = http };
        }
        catch
        {
            if (schedulers is not null)
            {
                await schedulers.DisposeAsync().ConfigureAwait(false);
            }
            if (flusher is not null)
            {
                await flusher.DisposeAsync().ConfigureAwait(false);
            }
            metadata.Dispose();
            throw;
        }
    }

    /// <summary>Stops serving, writes the pending region changes and closes the metadata log.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Schedulers is not null)
        {
            await Schedulers.DisposeAsync().ConfigureAwait(false);
        }
        if (_http is not null)
        {
            await _http.DisposeAsync().ConfigureAwait(false);
        }
        await _rpc.DisposeAsync().ConfigureAwait(false);
        await _flusher.DisposeAsync().ConfigureAwait(false);
        _metadata.Dispose();
    }

    private static ulong NewClusterId()
    {
        ulong id;
        do
        {
            id = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        }
        while (id == 0);
        return id;
    }
}
