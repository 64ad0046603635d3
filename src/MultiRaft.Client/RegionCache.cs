using MultiRaft.Protocol.Metadata;

namespace MultiRaft.Client;

/// <summary>
/// The regions this client has seen, ordered by start key, with the leader it last knew for each. A hit
/// costs a binary search; errors from stores correct it (a new leader, the regions after a split) or drop an
/// entry so the next lookup asks PD.
/// </summary>
internal sealed class RegionCache
{
    private readonly Lock _lock = new();
    private readonly List<CachedRegion> _byStart = [];

    public CachedRegion? Find(ReadOnlySpan<byte> key)
    {
        lock (_lock)
        {
            var i = FloorIndex(key);
            return i >= 0 && _byStart[i].Region.Contains(key) ? _byStart[i] : null;
        }
    }

    /// <summary>Adds or replaces a region; cached regions it overlaps are older and go.</summary>
    public CachedRegion Put(RegionInfo region, PeerInfo? leader)
    {
        var entry = new CachedRegion(region, leader);
        lock (_lock)
        {
            _byStart.RemoveAll(c => Overlaps(c.Region, region));
            var i = FloorIndex(region.StartKey) + 1;
            _byStart.Insert(i, entry);
        }
        return entry;
    }

    public void Invalidate(ulong regionId)
    {
        lock (_lock)
        {
            _byStart.RemoveAll(c => c.Region.Id == regionId);
        }
    }

    /// <summary>Remembers a new leader for a cached region (from a NotLeader hint).</summary>
    public void SetLeader(ulong regionId, PeerInfo leader)
    {
        lock (_lock)
        {
            var i = _byStart.FindIndex(c => c.Region.Id == regionId);
            if (i >= 0)
            {
                _byStart[i] = _byStart[i] with { Leader = leader };
            }
        }
    }

    /// <summary>Index of the last region whose start key is at or before <paramref name="key"/>, or -1.</summary>
    private int FloorIndex(ReadOnlySpan<byte> key)
    {
        int lo = 0, hi = _byStart.Count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_byStart[mid].Region.StartKey.AsSpan().SequenceCompareTo(key) <= 0)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found;
    }

    private static bool Overlaps(RegionInfo a, RegionInfo b)
    {
        var aEndsAfterBStarts = a.EndKey.Length == 0 || a.EndKey.AsSpan().SequenceCompareTo(b.StartKey) > 0;
        var bEndsAfterAStarts = b.EndKey.Length == 0 || b.EndKey.AsSpan().SequenceCompareTo(a.StartKey) > 0;
        return aEndsAfterBStarts && bEndsAfterAStarts;
    }
}

/// <summary>A region and the leader last known for it (null: ask the first voter).</summary>
internal sealed record CachedRegion(RegionInfo Region, PeerInfo? Leader);
