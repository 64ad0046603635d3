using MultiRaft.Protocol.Metadata;

namespace MultiRaft.PlacementDriver.Scheduling.Schedulers;

public sealed record BalanceLeaderConfig
{
    /// <summary>Act only while the most and least loaded Up stores differ by at least this many leaders: a move
    /// then never reverses the difference, so leaders do not flap.</summary>
    public int Tolerance { get; init; } = 2;

    public int MaxOperatorsPerRound { get; init; } = 4;
}

/// <summary>
/// Equalizes leader counts across Up stores: moves a leader from the store with the most to a voter on the store
/// with the fewest, choosing the least written region (so hot-region's decisions are not undone), among regions
/// whose peers are all healthy.
/// </summary>
public sealed class BalanceLeaderScheduler(BalanceLeaderConfig? config = null) : Scheduler<BalanceLeaderConfig>(config ?? new BalanceLeaderConfig())
{
    public const string SchedulerName = "balance-leader";

    public override string Name => SchedulerName;

    public override void Schedule(SchedulingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var config = Config;
        if (context.UpStores.Count < 2)
        {
            return;
        }
        var tried = new HashSet<ulong>();
        for (var proposed = 0; proposed < config.MaxOperatorsPerRound;)
        {
            StoreLoad? source = null;
            foreach (var store in context.UpStores)
            {
                if (!tried.Contains(store.Id) && (source is null || store.Leaders > source.Leaders))
                {
                    source = store;
                }
            }
            if (source is null)
            {
                return;
            }
            if (TryMoveOne(context, source, config) is { } op && context.Propose(op))
            {
                proposed++;
            }
            else
            {
                tried.Add(source.Id); // Nothing to move off it: try the next most loaded.
            }
        }
    }

    private Operator? TryMoveOne(SchedulingContext context, StoreLoad source, BalanceLeaderConfig config)
    {
        (RegionState Region, PeerInfo To, StoreLoad Target)? best = null;
        foreach (var region in context.Regions)
        {
            if (region.Leader is not { } leader || leader.StoreId != source.Id || !region.IsHealthy || context.IsBusy(region.Region.Id))
            {
                continue;
            }
            foreach (var peer in region.Region.Peers)
            {
                if (peer.IsLearner || peer.Id == leader.Id || context.Store(peer.StoreId) is not { IsUp: true } target
                    || source.Leaders - target.Leaders < config.Tolerance)
                {
                    continue;
                }
                if (best is not { } b || target.Leaders < b.Target.Leaders
                    || (target.Leaders == b.Target.Leaders && region.WriteBytesPerSec < b.Region.WriteBytesPerSec))
                {
                    best = (region, peer, target);
                }
            }
        }
        return best is { } chosen
            ? Operator.TransferLeader(chosen.Region.Region, chosen.To, Name,
                $"store {source.Id} leads {source.Leaders} regions, store {chosen.Target.Id} {chosen.Target.Leaders}")
            : null;
    }

    protected override void Validate(BalanceLeaderConfig config)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(config.Tolerance, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(config.MaxOperatorsPerRound, 1);
    }
}
