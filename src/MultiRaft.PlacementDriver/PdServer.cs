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

    private PdServer(ulong clusterId, MetadataStore metadata, RegionFlusher flusher, RpcServer rpc, RegionRegistry regions, StoreRegistry stores)
    {
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

    public RegionRegistry Regions { get; }

    public StoreRegistry Stores { get; }

    public static async Task<PdServer> StartAsync(PdServerOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logger = options.Logger ?? NullLogger.Instance;
        // Recovery reads the whole log (up to every region): keep it off the caller's thread.
        var metadata = await Task.Run(() => MetadataStore.Open(options.DataDirectory), cancellation).ConfigureAwait(false);
        RegionFlusher? flusher = null;
        try
        {
            if (metadata.DiscardedBytes > 0 && logger.IsEnabled(LogLevel.Warning))
            {
                logger.LogWarning("Cut {Bytes} bytes of torn metadata at the end of the log", metadata.DiscardedBytes);
            }
            var clusterId = metadata.Recovered.ClusterId;
            if (clusterId == 0)
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
            var stores = new StoreRegistry(metadata, ids, options);
            var regions = new RegionRegistry(metadata.Recovered.Regions.Values);
            var bootstrapper = new Bootstrapper(metadata, ids, stores, regions, options.MaxReplicas, logger);
            flusher = new RegionFlusher(regions, metadata, options.RegionFlushInterval, logger);
            var service = new PdService(() => clusterId, options.MaxReplicas, ids, tso, stores, regions, bootstrapper, options.Operators);
            var transport = new TransportOptions { ClusterId = clusterId, StoreId = 0, AcceptClusterDiscovery = true };
            var rpc = new RpcServer(transport, options.Listen, service.Handlers(), logger);
            rpc.Start();
            if (logger.IsEnabled(LogLevel.Information))
            {
                logger.LogInformation("PD of cluster {ClusterId} listening on {Endpoint} ({Stores} stores, {Regions} regions)",
                    clusterId, rpc.LocalEndPoint, stores.GetAll().Length, regions.Count);
            }
            return new PdServer(clusterId, metadata, flusher, rpc, regions, stores);
        }
        catch
        {
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
