using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Pd;

namespace MultiRaft.PlacementDriver;

/// <summary>What PD knows of one region: the region itself, its leader as last reported (with the leader's
/// term, to order reports), and the load and health figures of its last heartbeat. Mutated only under the
/// <see cref="RegionRegistry"/> lock.</summary>
internal sealed class RegionEntry(RegionInfo region, PeerInfo? leader, ulong term)
{
    private RegionInfo _region = region;

    public RegionInfo Region
    {
        get => _region;
        set
        {
            _region = value;
            StartKey = value.StartKey;
        }
    }

    public PeerInfo? Leader { get; set; } = leader;

    public ulong Term { get; set; } = term;

    public RegionStats? Stats { get; set; }

    public ulong[] DownPeers { get; set; } = [];

    public ulong[] PendingPeers { get; set; } = [];

    /// <summary>Kept beside the region so a binary search step touches one object less.</summary>
    public byte[] StartKey { get; private set; } = region.StartKey;

    public GetRegionResponse ToResponse() => new(Region, Leader);

    public Storage.MetaRecord ToRecord() => Storage.MetaRecord.ForRegion(Region, Leader, Term);
}
