using MultiRaft.Protocol.Metadata;

namespace MultiRaft.PlacementDriver.Scheduling.Schedulers;

public sealed record HotRegionConfig
{
    /// <summary>A region writing at least this many bytes per second is hot.</summary>
    public long MinRegionWriteBytesPerSec { get; init; } = 1L << 20;

    /// <summary>Act while the hottest Up store's leaders write more than this multiple of the average.</summary>
    public double StoreRatio { get; init; } = 1.25;

    public int MaxOperatorsPerRound { get; init; } = 2;

    /// <summary>A region this scheduler moved is left alone this long: its load figures (and its stores') are
    /// those of before the move until a few heartbeats have come in, and acting on them bounces it back.</summary>
    public int CooldownSeconds { get; init; } = 30;
}

/// <summary>
/// Moves write load off the hottest store (the sum of its leaders' write rates): the hottest of its hot
/// regions hands leadership to a follower on a cooler store; when no follower's store is cool enough, its
/// leader replica moves to the coolest store without one. A move is made only when the target, with the
/// region's load added, stays below what the source had: the hottest store cools, and the reverse move would
/// need the opposite, so nothing bounces back.
/// </summary>
public sealed class HotRegionScheduler(HotRegionConfig? config = null) : Scheduler<HotRegionConfig>(config ?? new HotRegionConfig())
{
    public const string SchedulerName = "hot-region";

    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, DateTimeOffset> _movedAt = new();

    public override string Name => SchedulerName;

    public override void Schedule(SchedulingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var config = Config;
        foreach (var (regionId, _) in _movedAt)
        {
            if (!CoolingDown(regionId, context.Now, config))
            {
                _movedAt.TryRemove(regionId, out _);
            }
        }
        for (var proposed = 0; proposed < config.MaxOperatorsPerRound && context.UpStores.Count >= 2; proposed++)
        {
            if (!TryMoveOne(context, config))
            {
                return;
            }
        }
    }

    private bool TryMoveOne(SchedulingContext context, HotRegionConfig config)
    {
        StoreLoad hottest = context.UpStores[0];
        long total = 0;
        foreach (var store in context.UpStores)
        {
            total += store.LeaderWriteBytes;
            hottest = store.LeaderWriteBytes > hottest.LeaderWriteBytes ? store : hottest;
        }
        var average = (double)total / context.UpStores.Count;
        if (hottest.LeaderWriteBytes < config.MinRegionWriteBytesPerSec || hottest.LeaderWriteBytes <= average * config.StoreRatio)
        {
            return false;
        }
        var hot = new List<RegionState>();
        foreach (var region in context.Regions)
        {
            if (region.Leader?.StoreId == hottest.Id && region.WriteBytesPerSec >= config.MinRegionWriteBytesPerSec
                && region.IsHealthy && !context.IsBusy(region.Region.Id) && !CoolingDown(region.Region.Id, context.Now, config))
            {
                hot.Add(region);
            }
        }
        hot.Sort(static (a, b) => b.WriteBytesPerSec.CompareTo(a.WriteBytesPerSec));
        foreach (var region in hot)
        {
            var rate = region.WriteBytesPerSec;
            var reason = $"store {hottest.Id} leaders write {hottest.LeaderWriteBytes} B/s (average {average:0}); region writes {rate} B/s";
            if (CoolestFollower(context, region, hottest, rate) is { } to)
            {
                return Moved(context, region, context.Propose(Operator.TransferLeader(region.Region, to, Name, reason)));
            }
            if (CoolestStoreWithout(context, region.Region, hottest, rate) is { } target
                && context.HasReplicaCapacity(hottest.Id) && context.HasReplicaCapacity(target.Id))
            {
                return Moved(context, region, context.Propose(Operator.MovePeer(region.Region, region.Leader!.Value, context.NewPeer(target.Id), Name,
                    reason + "; no follower's store is cool enough, so the leader's replica moves")));
            }
        }
        return false;
    }

    private bool CoolingDown(ulong regionId, DateTimeOffset now, HotRegionConfig config) =>
        _movedAt.TryGetValue(regionId, out var at) && now - at < TimeSpan.FromSeconds(config.CooldownSeconds);

    /// <summary>Remembers when a region was moved (a dry run moves nothing).</summary>
    private bool Moved(SchedulingContext context, RegionState region, bool proposed)
    {
        if (proposed && !context.IsDryRun)
        {
            _movedAt[region.Region.Id] = context.Now;
        }
        return proposed;
    }

    /// <summary>The coolest follower whose store, with this region's load added, stays below the hottest.</summary>
    private static PeerInfo? CoolestFollower(SchedulingContext context, RegionState region, StoreLoad hottest, long rate)
    {
        PeerInfo? best = null;
        long bestLoad = long.MaxValue;
        foreach (var peer in region.Region.Peers)
        {
            if (peer.IsLearner || peer.StoreId == hottest.Id || context.Store(peer.StoreId) is not { IsUp: true } store)
            {
                continue;
            }
            if (store.LeaderWriteBytes + rate < hottest.LeaderWriteBytes && store.LeaderWriteBytes < bestLoad)
            {
                best = peer;
                bestLoad = store.LeaderWriteBytes;
            }
        }
        return best;
    }

    private static StoreLoad? CoolestStoreWithout(SchedulingContext context, RegionInfo region, StoreLoad hottest, long rate)
    {
        StoreLoad? best = null;
        foreach (var store in context.UpStores)
        {
            if (region.PeerOnStore(store.Id) is null && store.LeaderWriteBytes + rate < hottest.LeaderWriteBytes
                && (best is null || store.LeaderWriteBytes < best.LeaderWriteBytes))
            {
                best = store;
            }
        }
        return best;
    }

    protected override void Validate(HotRegionConfig config)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(config.MinRegionWriteBytesPerSec, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(config.StoreRatio, 1.0);
        ArgumentOutOfRangeException.ThrowIfLessThan(config.MaxOperatorsPerRound, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(config.CooldownSeconds);
    }
}
