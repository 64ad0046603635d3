using MessagePack;
using MultiRaft.Protocol.Metadata;

namespace MultiRaft.PlacementDriver.Storage;

/// <summary>What one record of the metadata log says.</summary>
public enum MetaRecordKind : byte
{
    /// <summary><see cref="MetaRecord.Value"/> is the cluster id.</summary>
    ClusterId = 1,

    /// <summary><see cref="MetaRecord.Value"/> is the highest id that may have been handed out.</summary>
    IdHighWater = 2,

    /// <summary><see cref="MetaRecord.Value"/> is a physical time (ms) above every timestamp handed out.</summary>
    TsoHighWater = 3,

    /// <summary><see cref="MetaRecord.Store"/> registered or changed.</summary>
    PutStore = 4,

    /// <summary>The cluster is bootstrapped with <see cref="MetaRecord.Region"/> as its first region.</summary>
    Bootstrap = 5,

    /// <summary><see cref="MetaRecord.Region"/> with its last known leader and term.</summary>
    PutRegion = 6,

    /// <summary>Region <see cref="MetaRecord.Value"/> no longer exists (replaced by a split or merge).</summary>
    DeleteRegion = 7,

    /// <summary><see cref="MetaRecord.Value"/> is the cluster's GC safe point (a TSO timestamp).</summary>
    GcSafePoint = 8,
}

/// <summary>One change to PD's persisted metadata. A single shape for every kind keeps the log format one
/// MessagePack type; the fields a kind does not use stay at their defaults.</summary>
[MessagePackObject]
public sealed record MetaRecord(
    [property: Key(0)] MetaRecordKind Kind,
    [property: Key(1)] ulong Value = 0,
    [property: Key(2)] StoreInfo? Store = null,
    [property: Key(3)] RegionInfo? Region = null,
    [property: Key(4)] PeerInfo? Leader = null,
    [property: Key(5)] ulong Term = 0)
{
    public static MetaRecord ForRegion(RegionInfo region, PeerInfo? leader, ulong term) =>
        new(MetaRecordKind.PutRegion, Region: region, Leader: leader, Term: term);
}
