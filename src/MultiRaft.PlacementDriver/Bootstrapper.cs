using Microsoft.Extensions.Logging;
using MultiRaft.PlacementDriver.Storage;
using MultiRaft.Protocol.Metadata;

namespace MultiRaft.PlacementDriver;

/// <summary>
/// Creates the cluster's first region, once: as soon as <c>MaxReplicas</c> stores are up, a region covering
/// the whole key space with a voter on each of the first of them (by id, i.e. registration order). The region
/// and the bootstrapped mark are one durable record, so a crash leaves either no bootstrap or a complete one,
/// and a restarted PD never bootstraps again.
/// </summary>
public sealed class Bootstrapper
{
    private readonly Lock _lock = new();
    private readonly MetadataStore _metadata;
    private readonly IdAllocator _ids;
    private readonly StoreRegistry _stores;
    private readonly RegionRegistry _regions;
    private readonly int _replicas;
    private readonly ILogger _logger;
    private volatile RegionInfo? _region;

    public Bootstrapper(MetadataStore metadata, IdAllocator ids, StoreRegistry stores, RegionRegistry regions, int replicas, ILogger logger)
    {
        _metadata = metadata;
        _ids = ids;
        _stores = stores;
        _regions = regions;
        _replicas = replicas;
        _logger = logger;
        _region = metadata.Recovered.BootstrapRegion;
    }

    public bool IsBootstrapped => _region is not null;

    /// <summary>The first region as it was created (a store builds its initial peer from it), or null.</summary>
    public RegionInfo? Region => _region;

    /// <summary>Bootstraps if enough stores are up and it has not happened yet; returns whether the cluster is
    /// bootstrapped now.</summary>
    public bool TryBootstrap()
    {
        if (_region is not null)
        {
            return true;
        }
        lock (_lock)
        {
            if (_region is not null)
            {
                return true;
            }
            var up = _stores.GetUp();
            if (up.Length < _replicas)
            {
                return false;
            }
            var first = _ids.Allocate(1 + _replicas);
            var peers = new PeerInfo[_replicas];
            for (var i = 0; i < _replicas; i++)
            {
                peers[i] = new PeerInfo(first + 1 + (ulong)i, up[i].Id, IsLearner: false);
            }
            var region = new RegionInfo(first, [], [], new EpochInfo(1, 1), peers);
            _metadata.Write(MetaRecord.ForRegion(region, null, 0), new MetaRecord(MetaRecordKind.Bootstrap, Region: region));
            _regions.Put(region);
            _region = region;
            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.LogInformation("Bootstrapped the cluster: region {RegionId} on stores {Stores}", first, string.Join(",", peers.Select(p => p.StoreId)));
            }
            return true;
        }
    }

    /// <summary>The first region if <paramref name="storeId"/> hosts one of its peers (bootstrapping first
    /// if it is due), otherwise null.</summary>
    public RegionInfo? RegionFor(ulong storeId)
    {
        TryBootstrap();
        var region = _region;
        return region?.PeerOnStore(storeId) is null ? null : region;
    }
}
