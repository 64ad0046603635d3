using MultiRaft.Protocol.Metadata;

namespace MultiRaft.PlacementDriver.Scheduling.Schedulers;

public sealed record BalanceRegionConfig
{
    /// <summary>Act on replica counts while the fullest and emptiest Up stores differ by at least this many.</summary>
    public int Tolerance { get; init; } = 2;

    /// <summary>With counts balanced, act on sizes while the largest store holds more than this fraction above
    /// the smallest.</summary>
    public double SizeTolerance { get; init; } = 0.25;

    public int MaxOperatorsPerRound { get; init; } = 2;
}

/// <summary>
/// Equalizes replicas across Up stores, by count first and then by size, with move-peer operators (add a
/// learner on the target, promote it, remove the source peer). It never puts two replicas of a region on one
/// store, and never moves a replica of a region that has down or pending peers or a leftover learner.
/// </summary>
public sealed class BalanceRegionScheduler(BalanceRegionConfig? config = null) : Scheduler<BalanceRegionConfig>(config ?? new BalanceRegionConfig())
{
    public const string SchedulerName = "balance-region";

    public override string Name => SchedulerName;

    public override void Schedule(SchedulingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var config = Config;
        if (context.UpStores.Count < 2)
        {
            return;
        }
        for (var proposed = 0; proposed < config.MaxOperatorsPerRound; proposed++)
        {
            if (!TryMoveOne(context, config))
            {
                return;
            }
        }
    }

    private bool TryMoveOne(SchedulingContext context, BalanceRegionConfig config)
    {
        StoreLoad most = context.UpStores[0], fewest = most, largest = most, smallest = most;
        foreach (var store in context.UpStores)
        {
            most = store.Replicas > most.Replicas ? store : most;
            fewest = store.Replicas < fewest.Replicas ? store : fewest;
            largest = store.Bytes > largest.Bytes ? store : largest;
            smallest = store.Bytes < smallest.Bytes ? store : smallest;
        }
        if (most.Replicas - fewest.Replicas >= config.Tolerance)
        {
            return TryMove(context, most, fewest, ulong.MaxValue,
                $"store {most.Id} holds {most.Replicas} replicas, store {fewest.Id} {fewest.Replicas}");
        }
        var gap = largest.Bytes - smallest.Bytes;
        if (largest.Id != smallest.Id && gap > 0 && gap > config.SizeTolerance * largest.Bytes
            && smallest.Replicas + 1 - (largest.Replicas - 1) < config.Tolerance)
        {
            // Moving a region of at most half the gap narrows it without reversing it.
            return TryMove(context, largest, smallest, gap / 2,
                $"store {largest.Id} holds {largest.Bytes} B, store {smallest.Id} {smallest.Bytes} B");
        }
        return false;
    }

    private bool TryMove(SchedulingContext context, StoreLoad source, StoreLoad target, ulong maxBytes, string reason)
    {
        if (!context.HasReplicaCapacity(source.Id) || !context.HasReplicaCapacity(target.Id))
        {
            return false;
        }
        RegionState? best = null;
        PeerInfo from = default;
        foreach (var region in context.Regions)
        {
            if (!region.IsHealthy || region.Region.Peers.Length > context.MaxReplicas
                || region.Region.PeerOnStore(source.Id) is not { } peer || region.Region.PeerOnStore(target.Id) is not null
                || region.ApproximateBytes > maxBytes || context.IsBusy(region.Region.Id) || !AllUp(context, region.Region))
            {
                continue;
            }
            // By count: the smallest region moves fastest; by size: the largest that fits narrows the gap most.
            if (best is null || (maxBytes == ulong.MaxValue ? region.ApproximateBytes < best.ApproximateBytes : region.ApproximateBytes > best.ApproximateBytes))
            {
                best = region;
                from = peer;
            }
        }
        return best is not null
            && context.Propose(Operator.MovePeer(best.Region, from, context.NewPeer(target.Id), Name, reason));
    }

    private static bool AllUp(SchedulingContext context, RegionInfo region)
    {
        foreach (var peer in region.Peers)
        {
            if (!context.IsUp(peer.StoreId))
            {
                return false;
            }
        }
        return true;
    }

    protected override void Validate(BalanceRegionConfig config)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(config.Tolerance, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(config.SizeTolerance);
        ArgumentOutOfRangeException.ThrowIfLessThan(config.MaxOperatorsPerRound, 1);
    }
}
