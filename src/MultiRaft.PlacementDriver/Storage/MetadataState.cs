using MultiRaft.Protocol.Metadata;

namespace MultiRaft.PlacementDriver.Storage;

/// <summary>A persisted region: the region, its last known leader and that leader's term.</summary>
public sealed record PersistedRegion(RegionInfo Region, PeerInfo? Leader, ulong Term);

/// <summary>
/// Everything the metadata log says, folded: replaying the records in order gives this state, and
/// <see cref="ToRecords"/> gives the shortest record list that replays to it (what compaction writes).
/// Keeping the fold here lets recovery and compaction share one definition of each record's meaning.
/// </summary>
public sealed class MetadataState
{
    public ulong ClusterId { get; private set; }

    public ulong IdHighWater { get; private set; }

    public ulong TsoHighWaterMs { get; private set; }

    /// <summary>Versions no read at or above this timestamp can see may be dropped; it only moves up.</summary>
    public ulong GcSafePoint { get; private set; }

    public RegionInfo? BootstrapRegion { get; private set; }

    public Dictionary<ulong, StoreInfo> Stores { get; } = [];

    public Dictionary<ulong, PersistedRegion> Regions { get; } = [];

    public void Apply(MetaRecord record)
    {
        switch (record.Kind)
        {
            case MetaRecordKind.ClusterId:
                ClusterId = record.Value;
                break;
            case MetaRecordKind.IdHighWater:
                // High-water marks only grow, whatever order a replay or a compaction brings them in.
                IdHighWater = Math.Max(IdHighWater, record.Value);
                break;
            case MetaRecordKind.TsoHighWater:
                TsoHighWaterMs = Math.Max(TsoHighWaterMs, record.Value);
                break;
            case MetaRecordKind.GcSafePoint:
                GcSafePoint = Math.Max(GcSafePoint, record.Value);
                break;
            case MetaRecordKind.PutStore:
                var store = Require(record.Store, record.Kind);
                Stores[store.Id] = store;
                break;
            case MetaRecordKind.Bootstrap:
                BootstrapRegion = Require(record.Region, record.Kind);
                break;
            case MetaRecordKind.PutRegion:
                var region = Require(record.Region, record.Kind);
                Regions[region.Id] = new PersistedRegion(region, record.Leader, record.Term);
                break;
            case MetaRecordKind.DeleteRegion:
                Regions.Remove(record.Value);
                break;
            default:
                throw new InvalidDataException($"unknown metadata record kind {record.Kind}");
        }
    }

    /// <summary>The records that rebuild this state from nothing.</summary>
    public IEnumerable<MetaRecord> ToRecords()
    {
        yield return new MetaRecord(MetaRecordKind.ClusterId, ClusterId);
        yield return new MetaRecord(MetaRecordKind.IdHighWater, IdHighWater);
        yield return new MetaRecord(MetaRecordKind.TsoHighWater, TsoHighWaterMs);
        yield return new MetaRecord(MetaRecordKind.GcSafePoint, GcSafePoint);
        foreach (var store in Stores.Values)
        {
            yield return new MetaRecord(MetaRecordKind.PutStore, Store: store);
        }
        if (BootstrapRegion is not null)
        {
            yield return new MetaRecord(MetaRecordKind.Bootstrap, Region: BootstrapRegion);
        }
        foreach (var region in Regions.Values)
        {
            yield return MetaRecord.ForRegion(region.Region, region.Leader, region.Term);
        }
    }

    private static T Require<T>(T? value, MetaRecordKind kind) where T : class =>
        value ?? throw new InvalidDataException($"a {kind} record without its payload");
}
