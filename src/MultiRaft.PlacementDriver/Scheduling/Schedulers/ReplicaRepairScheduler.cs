using MultiRaft.Protocol.Metadata;

namespace MultiRaft.PlacementDriver.Scheduling.Schedulers;

public sealed record ReplicaRepairConfig
{
    public int MaxOperatorsPerRound { get; init; } = 8;
}

/// <summary>
/// Keeps every region at <see cref="SchedulingContext.MaxReplicas"/> healthy voters: a peer on a Down (or
/// tombstoned) store is replaced by a new replica on the Up store with the fewest replicas (add learner,
/// promote, remove the dead peer) or, when the region already has enough voters elsewhere, just removed; a
/// region short of voters gets one; a learner no operator is working on (left by a cancelled move) and a voter
/// beyond the limit are removed.
/// </summary>
public sealed class ReplicaRepairScheduler(ReplicaRepairConfig? config = null) : Scheduler<ReplicaRepairConfig>(config ?? new ReplicaRepairConfig())
{
    public const string SchedulerName = "replica-repair";

    public override string Name => SchedulerName;

    public override void Schedule(SchedulingContext context) =>
        ProposePerRegion(context, Config.MaxOperatorsPerRound, region => Repair(context, region));

    private Operator? Repair(SchedulingContext context, RegionState state)
    {
        var region = state.Region;
        PeerInfo? dead = null, learner = null;
        var liveVoters = 0;
        foreach (var peer in region.Peers)
        {
            if (context.IsOnDeadStore(peer))
            {
                dead ??= peer;
            }
            else if (peer.IsLearner)
            {
                learner ??= peer;
            }
            else
            {
                liveVoters++;
            }
        }
        if (dead is { } down)
        {
            if (liveVoters >= context.MaxReplicas)
            {
                return Operator.RemoveReplica(region, down, Name, $"peer {down.Id} is on down store {down.StoreId}, and {liveVoters} voters remain");
            }
            return NewStore(context, region) is { } target && context.HasReplicaCapacity(target.Id)
                ? Operator.MovePeer(region, down, context.NewPeer(target.Id), Name,
                    $"peer {down.Id} is on down store {down.StoreId}: replaced on store {target.Id}", OperatorKind.RepairReplica)
                : null;
        }
        if (learner is { } left)
        {
            return Operator.RemoveReplica(region, left, Name, $"learner {left.Id} on store {left.StoreId} is left over (no operator uses it)");
        }
        if (liveVoters < context.MaxReplicas)
        {
            return NewStore(context, region) is { } target && context.HasReplicaCapacity(target.Id)
                ? Operator.AddReplica(region, context.NewPeer(target.Id), Name, $"{liveVoters} voters, {context.MaxReplicas} wanted")
                : null;
        }
        if (liveVoters > context.MaxReplicas && ExtraVoter(context, state) is { } extra)
        {
            return Operator.RemoveReplica(region, extra, Name, $"{liveVoters} voters, {context.MaxReplicas} wanted");
        }
        return null;
    }

    /// <summary>The Up store without a replica of the region that holds the fewest replicas.</summary>
    private static StoreLoad? NewStore(SchedulingContext context, RegionInfo region)
    {
        StoreLoad? best = null;
        foreach (var store in context.UpStores)
        {
            if (region.PeerOnStore(store.Id) is null && (best is null || store.Replicas < best.Replicas))
            {
                best = store;
            }
        }
        return best;
    }

    /// <summary>A voter other than the leader, on the store with the most replicas.</summary>
    private static PeerInfo? ExtraVoter(SchedulingContext context, RegionState state)
    {
        PeerInfo? best = null;
        var bestReplicas = -1;
        foreach (var peer in state.Region.Peers)
        {
            var replicas = context.Store(peer.StoreId)?.Replicas ?? 0;
            if (!peer.IsLearner && peer.Id != state.Leader?.Id && replicas > bestReplicas)
            {
                best = peer;
                bestReplicas = replicas;
            }
        }
        return best;
    }
}
