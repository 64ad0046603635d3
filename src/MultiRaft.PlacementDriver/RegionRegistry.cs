using MultiRaft.PlacementDriver.Storage;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Pd;

namespace MultiRaft.PlacementDriver;

/// <summary>
/// Every region PD knows, for routing (by key, O(log n)) and by id (O(1)).
/// <para>Layout: a list sorted by start key (ranges never overlap, so it is also sorted by end key) plus a
/// dictionary by id, both holding the same <see cref="RegionEntry"/> objects. The common report — a
/// heartbeat without the region's metadata, whose region PD holds at that epoch — is a dictionary lookup and
/// an in-place update. Only a change of range (split, merge) moves list elements: an O(n) memmove of
/// references, cheap next to the RPC that brought it, and rare next to heartbeats. A balanced tree would make
/// that O(log n) but every lookup slower.</para>
/// <para>Changed regions are collected in a dirty set that <see cref="TakeDirty"/> hands to the flusher, so a
/// storm of heartbeats becomes one durable write per flush interval.</para>
/// </summary>
public sealed class RegionRegistry
{
    private readonly Lock _lock = new();
    private readonly List<RegionEntry> _byKey = [];
    private readonly Dictionary<ulong, RegionEntry> _byId = [];
    private readonly HashSet<ulong> _dirty = [];

    public RegionRegistry()
    {
    }

    /// <summary>Loads persisted regions (sorted once: O(n log n), not n inserts).</summary>
    public RegionRegistry(IEnumerable<PersistedRegion> recovered)
    {
        ArgumentNullException.ThrowIfNull(recovered);
        var all = new List<RegionEntry>();
        foreach (var region in recovered)
        {
            all.Add(new RegionEntry(region.Region, region.Leader, region.Term));
        }
        all.Sort(static (a, b) => a.StartKey.AsSpan().SequenceCompareTo(b.StartKey));
        foreach (var entry in all)
        {
            // Persisted regions never overlap; should a damaged history say otherwise, the newer version wins.
            if (_byKey.Count > 0 && Overlaps(_byKey[^1].Region, entry.StartKey))
            {
                if (_byKey[^1].Region.Epoch.Version >= entry.Region.Epoch.Version)
                {
                    continue;
                }
                _byId.Remove(_byKey[^1].Region.Id);
                _byKey.RemoveAt(_byKey.Count - 1);
            }
            _byKey.Add(entry);
            _byId[entry.Region.Id] = entry;
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byKey.Count;
            }
        }
    }

    /// <summary>Applies a leader's heartbeat: the region (when the heartbeat carries it), leader, term, health
    /// and load. <paramref name="region"/> is the region as PD holds it afterwards, set when the heartbeat was
    /// accepted (<see cref="RegionUpdate.Changed"/> or <see cref="RegionUpdate.Refreshed"/>).</summary>
    public RegionUpdate Heartbeat(RegionHeartbeatRequest heartbeat, out RegionInfo? region)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        ArgumentNullException.ThrowIfNull(heartbeat.Stats);
        if (heartbeat.Region is { } full)
        {
            Validate(full);
            if (full.PeerById(heartbeat.Leader.Id) is null)
            {
                throw new ArgumentException($"leader peer {heartbeat.Leader.Id} is not a peer of region {full.Id}", nameof(heartbeat));
            }
        }
        else if (heartbeat.RegionId == 0)
        {
            throw new ArgumentException("a heartbeat without the region needs the region's id", nameof(heartbeat));
        }
        lock (_lock)
        {
            RegionEntry? entry;
            var result = heartbeat.Region is { } given
                ? Upsert(given, heartbeat.Leader, heartbeat.Term, out entry)
                : Refresh(heartbeat, out entry);
            region = entry?.Region;
            if (entry is not null)
            {
                entry.Stats = heartbeat.Stats;
                entry.DownPeers = heartbeat.DownPeers ?? [];
                entry.PendingPeers = heartbeat.PendingPeers ?? [];
            }
            return result;
        }
    }

    /// <summary>Records a region reported without a leader (a split report, the bootstrap region). A region
    /// that keeps its id keeps its known leader while that peer is still a member.</summary>
    public RegionUpdate Put(RegionInfo region)
    {
        Validate(region);
        lock (_lock)
        {
            return Upsert(region, null, 0, out _);
        }
    }

    public GetRegionResponse GetByKey(ReadOnlySpan<byte> key)
    {
        lock (_lock)
        {
            var index = Floor(key);
            return index >= 0 && _byKey[index].Region.Contains(key) ? _byKey[index].ToResponse() : new GetRegionResponse(null, null);
        }
    }

    public GetRegionResponse GetById(ulong regionId)
    {
        lock (_lock)
        {
            return _byId.TryGetValue(regionId, out var entry) ? entry.ToResponse() : new GetRegionResponse(null, null);
        }
    }

    /// <summary>Regions overlapping <c>[start, end)</c> (empty end = +inf), in key order, at most <paramref name="limit"/>.</summary>
    public GetRegionResponse[] Scan(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var result = new List<GetRegionResponse>();
        lock (_lock)
        {
            var (first, last) = OverlapRange(start, end);
            for (var i = first; i < last && result.Count < limit; i++)
            {
                result.Add(_byKey[i].ToResponse());
            }
        }
        return [.. result];
    }

    /// <summary>Every region with its leader, health and load as last reported, in key order (for the
    /// schedulers: one pass over the regions, outside the lock afterwards).</summary>
    public Scheduling.RegionState[] Snapshot()
    {
        lock (_lock)
        {
            var result = new Scheduling.RegionState[_byKey.Count];
            for (var i = 0; i < result.Length; i++)
            {
                var entry = _byKey[i];
                result[i] = new Scheduling.RegionState(entry.Region, entry.Leader, entry.Stats, entry.DownPeers, entry.PendingPeers);
            }
            return result;
        }
    }

    /// <summary>The regions changed since the last call, as records to persist (deleted ones as deletions).</summary>
    internal List<MetaRecord> TakeDirty()
    {
        lock (_lock)
        {
            var records = new List<MetaRecord>(_dirty.Count);
            foreach (var id in _dirty)
            {
                records.Add(_byId.TryGetValue(id, out var entry) ? entry.ToRecord() : new MetaRecord(MetaRecordKind.DeleteRegion, id));
            }
            _dirty.Clear();
            return records;
        }
    }

    /// <summary>Puts regions whose records could not be written back into the dirty set.</summary>
    internal void MarkDirty(List<MetaRecord> unwritten)
    {
        lock (_lock)
        {
            foreach (var record in unwritten)
            {
                _dirty.Add(record.Region?.Id ?? record.Value);
            }
        }
    }

    /// <summary>A heartbeat without the region's metadata: accepted only when PD holds the region at the
    /// heartbeat's epoch with the leader among its peers, since only then does PD's copy describe it.</summary>
    private RegionUpdate Refresh(RegionHeartbeatRequest heartbeat, out RegionEntry? entry)
    {
        entry = null;
        if (!_byId.TryGetValue(heartbeat.RegionId, out var known))
        {
            return RegionUpdate.NeedFullRegion;
        }
        if (IsOlder(heartbeat.Epoch, heartbeat.Term, known))
        {
            return RegionUpdate.Stale;
        }
        if (heartbeat.Epoch != known.Region.Epoch || known.Region.PeerById(heartbeat.Leader.Id) is null)
        {
            return RegionUpdate.NeedFullRegion; // The region moved on past PD's copy (a missed report, a PD restart).
        }
        entry = known;
        return SetLeader(known, heartbeat.Leader, heartbeat.Term) ? MarkDirty(known) : RegionUpdate.Refreshed;
    }

    private RegionUpdate Upsert(RegionInfo region, PeerInfo? leader, ulong term, out RegionEntry? entry)
    {
        var reportsLeader = leader is not null;
        if (_byId.TryGetValue(region.Id, out var known))
        {
            if (reportsLeader ? IsOlder(region.Epoch, term, known) : region.Epoch.IsStaleComparedTo(known.Region.Epoch))
            {
                entry = null;
                return RegionUpdate.Stale;
            }
            if (known.Region.Equals(region))
            {
                // The common full heartbeat: same range, epoch and peers; the list needs no change.
                entry = known;
                return reportsLeader && SetLeader(known, leader, term) ? MarkDirty(known) : RegionUpdate.Refreshed;
            }
        }
        var (first, last) = OverlapRange(region.StartKey, region.EndKey);
        for (var i = first; i < last; i++)
        {
            if (_byKey[i].Region.Id != region.Id && _byKey[i].Region.Epoch.Version > region.Epoch.Version)
            {
                entry = null;
                return RegionUpdate.Stale; // A newer region (e.g. a split's result) already covers part of it.
            }
        }
        // Replace: drop every region the new range covers, and this region at its old place.
        for (var i = first; i < last; i++)
        {
            var overlapped = _byKey[i];
            if (overlapped.Region.Id != region.Id)
            {
                _byId.Remove(overlapped.Region.Id);
                _dirty.Add(overlapped.Region.Id);
            }
        }
        _byKey.RemoveRange(first, last - first);
        if (known is not null)
        {
            var old = Floor(known.StartKey);
            if (old >= 0 && ReferenceEquals(_byKey[old], known))
            {
                _byKey.RemoveAt(old);
            }
        }
        entry = known ?? new RegionEntry(region, null, 0);
        entry.Region = region;
        if (reportsLeader)
        {
            SetLeader(entry, leader, term);
        }
        else if (entry.Leader is { } previous && region.PeerById(previous.Id) is null)
        {
            entry.Leader = null;
        }
        var at = Floor(region.StartKey) + 1;
        _byKey.Insert(at, entry);
        _byId[region.Id] = entry;
        return MarkDirty(entry);
    }

    /// <summary>Whether a leader's report at <paramref name="epoch"/> and <paramref name="term"/> is older than
    /// what PD knows: an older epoch, or the same epoch from an earlier term.</summary>
    private static bool IsOlder(EpochInfo epoch, ulong term, RegionEntry known) =>
        epoch.IsStaleComparedTo(known.Region.Epoch) || (epoch == known.Region.Epoch && term < known.Term);

    private static bool SetLeader(RegionEntry entry, PeerInfo? leader, ulong term)
    {
        var changed = entry.Leader != leader || entry.Term != term;
        entry.Leader = leader;
        entry.Term = term;
        return changed;
    }

    private RegionUpdate MarkDirty(RegionEntry entry)
    {
        _dirty.Add(entry.Region.Id);
        return RegionUpdate.Changed;
    }

    /// <summary>The index of the last region whose start key is at or before <paramref name="key"/>, or -1.</summary>
    private int Floor(ReadOnlySpan<byte> key)
    {
        int low = 0, high = _byKey.Count - 1, found = -1;
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            if (_byKey[middle].StartKey.AsSpan().SequenceCompareTo(key) <= 0)
            {
                found = middle;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }
        return found;
    }

    /// <summary>The index range <c>[first, last)</c> of the regions that overlap <c>[start, end)</c>.</summary>
    private (int First, int Last) OverlapRange(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end)
    {
        var first = Floor(start);
        if (first < 0 || !Overlaps(_byKey[first].Region, start))
        {
            first++;
        }
        var last = first;
        while (last < _byKey.Count && (end.Length == 0 || _byKey[last].StartKey.AsSpan().SequenceCompareTo(end) < 0))
        {
            last++;
        }
        return (first, last);
    }

    /// <summary>Whether <paramref name="region"/> extends past <paramref name="key"/> (it starts at or before it).</summary>
    private static bool Overlaps(RegionInfo region, ReadOnlySpan<byte> key) =>
        region.EndKey.Length == 0 || region.EndKey.AsSpan().SequenceCompareTo(key) > 0;

    private static void Validate(RegionInfo? region)
    {
        if (region is null || region.StartKey is null || region.EndKey is null || region.Peers is null)
        {
            throw new ArgumentException("a region needs a start key, an end key and peers (empty arrays, not null)", nameof(region));
        }
        if (region.Id == 0)
        {
            throw new ArgumentException("region id 0 is not valid", nameof(region));
        }
        if (region.EndKey.Length > 0 && region.StartKey.AsSpan().SequenceCompareTo(region.EndKey) >= 0)
        {
            throw new ArgumentException($"region {region.Id}: start key must be below end key", nameof(region));
        }
        if (region.Peers.Length == 0)
        {
            throw new ArgumentException($"region {region.Id} has no peers", nameof(region));
        }
    }
}
