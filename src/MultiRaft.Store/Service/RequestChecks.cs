using MultiRaft.Protocol.Kv;
using MultiRaft.Storage.Kv;
using MultiRaft.Store.Peers;
using MultiRaft.Store.Regions;

namespace MultiRaft.Store.Service;

/// <summary>The checks every client request passes before it touches Raft or the engine; each failure is a
/// typed <see cref="RegionError"/> and nothing happens.</summary>
internal sealed class RequestChecks(StoreOptions options, PeerRegistry peers)
{
    /// <summary>The peer of the named region if the epoch matches; otherwise the error.</summary>
    public RegionError? Region(RegionContext context, out Peer peer)
    {
        peer = peers.Find(context.RegionId)!;
        if (peer is null || !peer.IsInitialized)
        {
            return RegionError.RegionNotFound(context.RegionId);
        }
        return Epoch(context, peer.Region);
    }

    /// <summary>Data requests care about the range: the version must match.</summary>
    public static RegionError? Epoch(RegionContext context, RegionLocalState region) =>
        context.Epoch.Version == region.Epoch.Version ? null : EpochNotMatch(context, region);

    /// <summary>Membership changes care about the peers as well: the conf version must match too.</summary>
    public static RegionError? ConfEpoch(RegionContext context, RegionLocalState region) =>
        context.Epoch.ConfVersion == region.Epoch.ConfVersion ? Epoch(context, region) : EpochNotMatch(context, region);

    private static RegionError EpochNotMatch(RegionContext context, RegionLocalState region)
    {
        var info = region.ToInfo();
        return RegionError.EpochNotMatch($"region {region.RegionId} is at epoch {info.Epoch}, the request named {context.Epoch}", [info]);
    }

    /// <summary>
    /// Checked after a read of the engine: a leader that applies its own removal deletes the region's data
    /// while its lease may still let reads through, so a read could find the region empty (the bank chaos
    /// workload caught snapshots missing a whole region's accounts). The peer is marked destroyed before its
    /// data goes, so a read that saw the deletion sees the mark here and is refused; the client asks PD again.
    /// </summary>
    public static RegionError? Destroyed(Peer peer) => peer.IsDestroyed ? RegionError.RegionNotFound(peer.RegionId) : null;

    /// <summary>Only the leader serves. A request reaching a sleeping follower wakes it: if the leader died while
    /// the region slept, the follower's election timer must run for a new leader to appear.</summary>
    public static RegionError? Leader(Peer peer)
    {
        if (peer.IsLeader)
        {
            return null;
        }
        peer.Wake();
        return RegionError.NotLeader(peer.RegionId, peer.Leader);
    }

    public RegionError? Key(byte[]? key, RegionLocalState region) =>
        KeyShape(key) ?? (region.Contains(key!) ? null : RegionError.KeyNotInRegion(region.ToInfo()));

    /// <summary>A key must be non-empty and within the size limit (wherever it lives).</summary>
    public RegionError? KeyShape(byte[]? key)
    {
        if (key is null || key.Length == 0)
        {
            return RegionError.InvalidArgument("a key must not be empty");
        }
        return key.Length > options.MaxKeyBytes
            ? RegionError.InvalidArgument($"a key of {key.Length} bytes is over the {options.MaxKeyBytes}-byte limit")
            : null;
    }

    /// <summary>A list of keys: non-empty, within the batch limit, each inside the region.</summary>
    public RegionError? Keys(byte[][] keys, RegionLocalState region, string what)
    {
        var error = BatchSize(keys.Length, what);
        for (var i = 0; error is null && i < keys.Length; i++)
        {
            error = Key(keys[i], region);
        }
        return error;
    }

    /// <summary>A scan starts inside the region, ends after its start (empty end: +inf) and has a sane limit.</summary>
    public RegionError? Scan(byte[] start, byte[] end, int limit, RegionLocalState region)
    {
        if (Key(start, region) is { } error)
        {
            return error;
        }
        if (limit < 1 || limit > options.MaxBatchKeys)
        {
            return RegionError.InvalidArgument($"a scan limit must be between 1 and {options.MaxBatchKeys}, not {limit}");
        }
        return end.Length > 0 && end.AsSpan().SequenceCompareTo(start) <= 0
            ? RegionError.InvalidArgument("the end key must be after the start key")
            : null;
    }

    /// <summary>A scan never reads past its region: the caller continues in the next region.</summary>
    public static byte[] ScanEnd(byte[] end, RegionLocalState region)
    {
        var regionEnd = region.EndKey;
        return regionEnd.Length > 0 && (end.Length == 0 || end.AsSpan().SequenceCompareTo(regionEnd) > 0) ? regionEnd : end;
    }

    /// <summary>Timestamps come from PD's oracle, which never hands out 0.</summary>
    public static RegionError? Timestamp(ulong timestamp, string what) =>
        timestamp == 0 ? RegionError.InvalidArgument($"a transaction needs a {what} timestamp") : null;

    public RegionError? Value(byte[]? value)
    {
        if (value is null)
        {
            return RegionError.InvalidArgument("a value is required");
        }
        return value.Length > options.MaxValueBytes
            ? RegionError.InvalidArgument($"a value of {value.Length} bytes is over the {options.MaxValueBytes}-byte limit")
            : null;
    }

    public RegionError? BatchSize(int count, string what)
    {
        if (count == 0)
        {
            return RegionError.InvalidArgument($"a {what} needs at least one key");
        }
        return count > options.MaxBatchKeys
            ? RegionError.InvalidArgument($"a {what} of {count} keys is over the {options.MaxBatchKeys}-key limit")
            : null;
    }

    public RegionError? CommandSize(long bytes) => bytes > options.MaxCommandBytes
        ? RegionError.InvalidArgument($"a write of {bytes} bytes is over the {options.MaxCommandBytes}-byte limit")
        : null;

    /// <summary><c>[start, end)</c> (empty end = +inf) must be non-empty and lie inside the region.</summary>
    public RegionError? Range(byte[] start, byte[] end, RegionLocalState region)
    {
        if (Key(start, region) is { } error)
        {
            return error;
        }
        if (end.Length > options.MaxKeyBytes)
        {
            return RegionError.InvalidArgument($"an end key of {end.Length} bytes is over the {options.MaxKeyBytes}-byte limit");
        }
        if (end.Length > 0 && end.AsSpan().SequenceCompareTo(start) <= 0)
        {
            return RegionError.InvalidArgument("the end key must be after the start key");
        }
        var inside = region.EndKey.Length == 0 || (end.Length > 0 && end.AsSpan().SequenceCompareTo(region.EndKey) <= 0);
        return inside ? null : RegionError.KeyNotInRegion(region.ToInfo());
    }

    public RegionError? Busy(Peer peer)
    {
        if (peer.InflightProposals >= options.MaxInflightProposalsPerRegion)
        {
            return RegionError.ServerIsBusy($"region {peer.RegionId} has {peer.InflightProposals} proposals in flight");
        }
        var lag = peer.ApplyLag;
        return lag > (ulong)options.MaxApplyLagEntries
            ? RegionError.ServerIsBusy($"region {peer.RegionId} has {lag} committed entries waiting to be applied")
            : null;
    }
}
