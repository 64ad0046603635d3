using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Pd;

namespace MultiRaft.PlacementDriver.Scheduling;

/// <summary>A region as the schedulers see it: the region, its leader, its last load figures and the peers
/// its leader reported down or pending.</summary>
public sealed record RegionState(RegionInfo Region, PeerInfo? Leader, RegionStats? Stats, ulong[] DownPeers, ulong[] PendingPeers)
{
    /// <summary>No peer is down or behind and no learner is left over: safe to move things around.</summary>
    public bool IsHealthy
    {
        get
        {
            if (Leader is null || DownPeers.Length > 0 || PendingPeers.Length > 0)
            {
                return false;
            }
            foreach (var peer in Region.Peers)
            {
                if (peer.IsLearner)
                {
                    return false;
                }
            }
            return true;
        }
    }

    public long WriteBytesPerSec => Stats?.WriteBytesPerSec ?? 0;

    public ulong ApproximateBytes => Stats?.ApproximateBytes ?? 0;
}

/// <summary>What the schedulers read of the cluster and the one thing they write (new ids). PD implements it over
/// its registries; tests over plain lists.</summary>
public interface IClusterView
{
    int MaxReplicas { get; }

    /// <summary>Every store, with its state now.</summary>
    StoreInfo[] Stores();

    /// <summary>Every region, in key order.</summary>
    RegionState[] Regions();

    /// <summary>A fresh id (for a new peer).</summary>
    ulong AllocateId();
}

/// <summary>PD's registries as the schedulers' view.</summary>
internal sealed class RegistryClusterView(StoreRegistry stores, RegionRegistry regions, IdAllocator ids, int maxReplicas) : IClusterView
{
    public int MaxReplicas => maxReplicas;

    public StoreInfo[] Stores() => stores.GetAll();

    public RegionState[] Regions() => regions.Snapshot();

    public ulong AllocateId() => ids.Allocate(1);
}

/// <summary>A store's counts in one scheduling round, including what running operators are about to change.</summary>
public sealed class StoreLoad(StoreInfo store)
{
    public StoreInfo Store { get; } = store;

    public ulong Id => Store.Id;

    public bool IsUp => Store.State == StoreState.Up;

    public int Leaders { get; set; }

    public int Replicas { get; set; }

    public ulong Bytes { get; set; }

    /// <summary>Write bytes per second of the regions it leads.</summary>
    public long LeaderWriteBytes { get; set; }
}

/// <summary>
/// One scheduling round: a snapshot of stores and regions, each store's counts with the running operators'
/// pending effects already counted (so a round never re-decides what is under way), and the way to propose
/// operators. An accepted operator's effects are counted at once, so one scheduler can propose several per
/// round without overshooting. A dry run (<see cref="IsDryRun"/>) only collects what the schedulers would
/// propose: the controller never sees it and no peer id is allocated.
/// </summary>
public sealed class SchedulingContext
{
    private readonly OperatorController _controller;
    private readonly IClusterView _view;
    private readonly Dictionary<ulong, StoreLoad> _stores = [];
    private readonly Dictionary<ulong, RegionState> _regionsById = [];
    private readonly HashSet<ulong> _proposedRegions = [];

    public SchedulingContext(IClusterView view, OperatorController controller, DateTimeOffset now, bool dryRun = false)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(controller);
        _view = view;
        _controller = controller;
        Now = now;
        IsDryRun = dryRun;
        MaxReplicas = view.MaxReplicas;
        foreach (var store in view.Stores())
        {
            _stores[store.Id] = new StoreLoad(store);
        }
        Regions = view.Regions();
        foreach (var region in Regions)
        {
            _regionsById[region.Region.Id] = region;
            foreach (var peer in region.Region.Peers)
            {
                if (_stores.TryGetValue(peer.StoreId, out var load))
                {
                    load.Replicas++;
                    load.Bytes += region.ApproximateBytes;
                }
            }
            if (region.Leader is { } leader && _stores.TryGetValue(leader.StoreId, out var leaderStore))
            {
                leaderStore.Leaders++;
                leaderStore.LeaderWriteBytes += region.WriteBytesPerSec;
            }
        }
        foreach (var (op, current) in controller.RunningWithProgress())
        {
            if (_regionsById.TryGetValue(op.RegionId, out var region))
            {
                CountPending(op, current, region);
            }
        }
        var up = new List<StoreLoad>();
        foreach (var load in _stores.Values)
        {
            if (load.IsUp)
            {
                up.Add(load);
            }
        }
        up.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        UpStores = up;
    }

    public DateTimeOffset Now { get; }

    /// <summary>Proposals are collected, not started.</summary>
    public bool IsDryRun { get; }

    public int MaxReplicas { get; }

    /// <summary>Every region, in key order.</summary>
    public RegionState[] Regions { get; }

    /// <summary>The stores that are Up, by id: the only ones that get new work.</summary>
    public IReadOnlyList<StoreLoad> UpStores { get; }

    /// <summary>Every store's counts, running and proposed operators' effects included.</summary>
    public IEnumerable<StoreLoad> Stores => _stores.Values;

    /// <summary>The operators accepted in this round.</summary>
    public List<Operator> Proposed { get; } = [];

    public StoreLoad? Store(ulong storeId) => _stores.GetValueOrDefault(storeId);

    public RegionState? Region(ulong regionId) => _regionsById.GetValueOrDefault(regionId);

    /// <summary>Whether the store hosting <paramref name="peer"/> is Down or a tombstone.</summary>
    public bool IsOnDeadStore(PeerInfo peer) =>
        _stores.TryGetValue(peer.StoreId, out var store) && store.Store.State is StoreState.Down or StoreState.Tombstone;

    public bool IsUp(ulong storeId) => _stores.TryGetValue(storeId, out var store) && store.IsUp;

    /// <summary>Whether the region has an operator, or got one this round (so no other may start: the round's
    /// snapshot does not show what that one will do, even if it ends at once).</summary>
    public bool IsBusy(ulong regionId) => _proposedRegions.Contains(regionId) || _controller.HasOperator(regionId);

    /// <summary>Whether the stores could take one more replica operator now (before allocating ids for one).</summary>
    public bool HasReplicaCapacity(ulong store)
    {
        var limit = _controller.Limits.MaxReplicaOperatorsPerStore;
        var count = 0;
        foreach (var (op, _) in _controller.RunningWithProgress())
        {
            count += Touches(op, store);
        }
        if (IsDryRun)
        {
            // A real round's proposals are already running; a dry run's must be counted here.
            foreach (var op in Proposed)
            {
                count += Touches(op, store);
            }
        }
        return count < limit;
    }

    private static int Touches(Operator op, ulong store) => op.AddsOn.Contains(store) || op.RemovesFrom.Contains(store) ? 1 : 0;

    /// <summary>A new peer on <paramref name="storeId"/>, with an id from PD's allocator (0 in a dry run, whose
    /// operators never start).</summary>
    public PeerInfo NewPeer(ulong storeId) => new(IsDryRun ? 0 : _view.AllocateId(), storeId, true);

    /// <summary>Hands the operator to the controller (in a dry run: checks that it would take it); when
    /// accepted its effects are counted at once.</summary>
    public bool Propose(Operator op)
    {
        ArgumentNullException.ThrowIfNull(op);
        if (IsBusy(op.RegionId) || (IsDryRun ? _controller.Refusal(op) is not null : !_controller.TryAdd(op, out _)))
        {
            return false;
        }
        Proposed.Add(op);
        _proposedRegions.Add(op.RegionId);
        if (_regionsById.TryGetValue(op.RegionId, out var region))
        {
            CountPending(op, 0, region);
        }
        return true;
    }

    /// <summary>Counts the effects of the steps of <paramref name="op"/> from <paramref name="current"/> on that
    /// the region does not show yet.</summary>
    private void CountPending(Operator op, int current, RegionState region)
    {
        for (var i = current; i < op.Actions.Count; i++)
        {
            switch (op.Actions[i])
            {
                case AddLearnerAction add when region.Region.PeerById(add.Peer.Id) is null:
                    Adjust(add.Peer.StoreId, replicas: 1, bytes: (long)region.ApproximateBytes);
                    break;
                case RemovePeerAction remove when region.Region.PeerById(remove.Peer.Id) is not null:
                    Adjust(remove.Peer.StoreId, replicas: -1, bytes: -(long)region.ApproximateBytes);
                    if (region.Leader?.Id == remove.Peer.Id && _stores.TryGetValue(remove.Peer.StoreId, out var leaving))
                    {
                        // The leader hands over before it goes (to a follower the store picks).
                        leaving.Leaders--;
                        leaving.LeaderWriteBytes -= region.WriteBytesPerSec;
                    }
                    break;
                case TransferLeaderAction transfer when region.Leader is { } leader && leader.Id != transfer.To.Id:
                    if (_stores.TryGetValue(leader.StoreId, out var from))
                    {
                        from.Leaders--;
                        from.LeaderWriteBytes -= region.WriteBytesPerSec;
                    }
                    if (_stores.TryGetValue(transfer.To.StoreId, out var to))
                    {
                        to.Leaders++;
                        to.LeaderWriteBytes += region.WriteBytesPerSec;
                    }
                    break;
            }
        }
    }

    private void Adjust(ulong storeId, int replicas, long bytes)
    {
        if (_stores.TryGetValue(storeId, out var store))
        {
            store.Replicas += replicas;
            store.Bytes = (ulong)Math.Max(0, (long)store.Bytes + bytes);
        }
    }
}
