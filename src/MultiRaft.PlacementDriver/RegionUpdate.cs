namespace MultiRaft.PlacementDriver;

/// <summary>What a region report did to PD's view.</summary>
public enum RegionUpdate
{
    /// <summary>The region's range, epoch, peers or leader changed (and will be persisted).</summary>
    Changed,

    /// <summary>Only load figures changed: nothing to persist.</summary>
    Refreshed,

    /// <summary>The report is older than what PD knows (lower epoch, or same epoch and lower term, or a newer
    /// overlapping region exists): ignored.</summary>
    Stale,

    /// <summary>A heartbeat without the region's metadata for a region PD does not hold at that epoch (unknown,
    /// or PD's copy is older): ignored; the leader is asked for the whole region.</summary>
    NeedFullRegion,
}
