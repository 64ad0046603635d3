using MultiRaft.Protocol.Kv;
using MultiRaft.Storage.Kv;
using MultiRaft.Store.Commands;
using MultiRaft.Store.Regions;

namespace MultiRaft.Store.Apply;

/// <summary>
/// Turns a split command into the regions it makes. Every replica runs this on the same applied state, so
/// every replica gets the same regions, or the same refusal. The original region keeps the range before the
/// first split key; every region's epoch version grows by the number of new regions.
/// </summary>
internal static class SplitPlanner
{
    /// <summary>The split keys must be ascending, strictly inside the region.</summary>
    public static RegionError? CheckKeys(RegionLocalState region, byte[][]? keys)
    {
        if (keys is null || keys.Length == 0)
        {
            return RegionError.InvalidArgument("a split needs at least one split key");
        }
        var previous = region.StartKey;
        foreach (var key in keys)
        {
            if (key is null || key.Length == 0 || key.AsSpan().SequenceCompareTo(previous) <= 0)
            {
                return RegionError.InvalidArgument("split keys must be non-empty, ascending, and after the region's start");
            }
            if (!region.Contains(key))
            {
                return RegionError.KeyNotInRegion(region.ToInfo());
            }
            previous = key;
        }
        return null;
    }

    /// <summary>The updated original followed by the new regions; null with the reason if the command does not
    /// fit the region as it stands.</summary>
    public static RegionLocalState[]? Plan(RegionLocalState region, SplitCommand split, out RegionError? error)
    {
        error = CheckKeys(region, split.SplitKeys);
        var count = split.SplitKeys?.Length ?? 0;
        if (error is null && (split.NewRegionIds?.Length != count || split.NewPeerIds?.Length != count
            || Array.Exists(split.NewPeerIds, ids => ids?.Length != region.Peers.Count)))
        {
            error = RegionError.InvalidArgument($"a split into {count + 1} regions needs {count} region ids and {region.Peers.Count} peer ids per region");
        }
        if (error is not null)
        {
            return null;
        }
        var epoch = region.Epoch with { Version = region.Epoch.Version + (ulong)count };
        var regions = new RegionLocalState[count + 1];
        regions[0] = region with { EndKey = split.SplitKeys![0], Epoch = epoch };
        for (var i = 0; i < count; i++)
        {
            var peers = new RegionPeer[region.Peers.Count];
            for (var p = 0; p < peers.Length; p++)
            {
                peers[p] = region.Peers[p] with { Id = split.NewPeerIds![i][p] };
            }
            regions[i + 1] = new RegionLocalState
            {
                RegionId = split.NewRegionIds![i],
                StartKey = split.SplitKeys[i],
                EndKey = i + 1 < count ? split.SplitKeys[i + 1] : region.EndKey,
                Epoch = epoch,
                Peers = peers,
            };
        }
        return regions;
    }
}
