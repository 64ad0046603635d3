using MultiRaft.PlacementDriver.Scheduling;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Pd;

namespace MultiRaft.PlacementDriver.Tests;

/// <summary>
/// A synthetic cluster for scheduler tests: stores with states, regions with leaders and load, a manual clock,
/// an operator controller and the standard schedulers. <see cref="Settle"/> plays the stores' part: it sends
/// each region's heartbeat to the controller and carries out the step it gets back, until no step is left.
/// </summary>
internal sealed class FakeCluster : IClusterView
{
    private readonly SortedDictionary<ulong, StoreState> _stores = [];
    private readonly SortedDictionary<ulong, RegionState> _regions = [];
    private readonly Dictionary<ulong, ulong> _terms = [];
    private ulong _nextId = 10_000;

    public FakeCluster(SchedulingOptions? options = null, int maxReplicas = 3)
    {
        MaxReplicas = maxReplicas;
        Controller = new OperatorController((options ?? new SchedulingOptions()).Limits, Clock);
        Runner = SchedulerRunner.Create(options ?? new SchedulingOptions(), Controller, this, Clock);
    }

    public ManualClock Clock { get; } = new();

    public OperatorController Controller { get; }

    public SchedulerRunner Runner { get; }

    public int MaxReplicas { get; }

    public StoreInfo[] Stores() => [.. _stores.Select(s => new StoreInfo(s.Key, $"store{s.Key}", null, s.Value, 0))];

    public RegionState[] Regions() => [.. _regions.Values];

    public ulong AllocateId() => ++_nextId;

    public FakeCluster WithStores(params ulong[] ids)
    {
        foreach (var id in ids)
        {
            _stores[id] = StoreState.Up;
        }
        return this;
    }

    public void SetState(ulong store, StoreState state) => _stores[store] = state;

    public RegionState Region(ulong id) => _regions[id];

    /// <summary>Adds (or replaces) a region on the given stores, led by the first, with its peers' ids
    /// id*100+1, id*100+2, ...</summary>
    public RegionState Put(ulong id, ulong[] stores, RegionStats? stats = null, int leader = 0, ulong[]? down = null, ulong[]? pending = null)
    {
        var region = PdHarness.Region(id, $"k{id:D4}", $"k{id + 1:D4}", 1, 1, stores);
        var state = new RegionState(region, region.Peers[leader], stats ?? Stats(), down ?? [], pending ?? []);
        _regions[id] = state;
        return state;
    }

    public void Replace(RegionState state) => _regions[state.Region.Id] = state;

    public static RegionStats Stats(ulong bytes = 0, ulong keys = 0, long writeBytes = 0, long writeKeys = 0) =>
        new(bytes, keys, writeBytes, writeKeys, 0, 0);

    public RegionHeartbeatRequest HeartbeatOf(RegionState state, byte[][]? samples = null)
    {
        var term = _terms.GetValueOrDefault(state.Region.Id, 1UL);
        return new RegionHeartbeatRequest(state.Region, state.Leader!.Value, term, state.DownPeers, state.PendingPeers, state.Stats!, samples, state.Region.Id, state.Region.Epoch);
    }

    /// <summary>Sends the region's heartbeat to the controller: the step it answers, if any.</summary>
    public OperatorStep? Heartbeat(ulong regionId) => Controller.NextStep(HeartbeatOf(_regions[regionId]), _regions[regionId].Region);

    /// <summary>Carries out a step the way a store would (membership changes grow the conf version).</summary>
    public void Apply(OperatorStep step)
    {
        var state = _regions[step.RegionId];
        var region = state.Region;
        Assert.Equal(region.Epoch, step.Epoch);
        var conf = region.Epoch with { ConfVersion = region.Epoch.ConfVersion + 1 };
        if (step.TransferLeaderToPeer is { } to)
        {
            _terms[region.Id] = _terms.GetValueOrDefault(region.Id, 1UL) + 1;
            state = state with { Leader = region.PeerById(to)!.Value };
        }
        else if (step.AddLearner is { } learner)
        {
            Assert.Null(region.PeerOnStore(learner.StoreId)); // Never two replicas of a region on one store.
            state = state with { Region = region with { Peers = [.. region.Peers, learner with { IsLearner = true }], Epoch = conf } };
        }
        else if (step.PromoteLearner is { } promoted)
        {
            state = state with { Region = region with { Peers = [.. region.Peers.Select(p => p.Id == promoted.Id ? p with { IsLearner = false } : p)], Epoch = conf } };
        }
        else if (step.SwapVoter is { } swap)
        {
            Assert.NotEqual(state.Leader!.Value.Id, swap.Demoted.Id); // A store refuses to demote its leader.
            var peers = region.Peers.Select(p => p.Id == swap.Learner.Id ? p with { IsLearner = false } : p.Id == swap.Demoted.Id ? p with { IsLearner = true } : p);
            state = state with { Region = region with { Peers = [.. peers], Epoch = conf } };
        }
        else if (step.RemovePeer is { } removed)
        {
            var peers = region.Peers.Where(p => p.Id != removed.Id).ToArray();
            var leader = state.Leader!.Value.Id == removed.Id ? peers.First(p => !p.IsLearner) : state.Leader!.Value;
            state = state with { Region = region with { Peers = peers, Epoch = conf }, Leader = leader };
        }
        else if (step.Split is not null)
        {
            state = state with { Region = region with { Epoch = region.Epoch with { Version = region.Epoch.Version + 1 } } };
        }
        _regions[region.Id] = state;
    }

    /// <summary>Heartbeats every region and carries out the steps until no operator answers; returns the steps.</summary>
    public int Settle(int maxRounds = 100)
    {
        var steps = 0;
        for (var round = 0; round < maxRounds; round++)
        {
            var any = false;
            foreach (var id in _regions.Keys.ToArray())
            {
                if (Heartbeat(id) is { } step)
                {
                    Apply(step);
                    steps++;
                    any = true;
                }
            }
            if (!any)
            {
                return steps;
            }
        }
        throw new InvalidOperationException("operators did not settle");
    }

    /// <summary>Runs a round and settles, until a round proposes nothing; returns the operators started.</summary>
    public List<Operator> Converge(int maxRounds = 50)
    {
        var all = new List<Operator>();
        for (var round = 0; round < maxRounds; round++)
        {
            var proposed = Runner.RunOnce();
            Settle();
            if (proposed.Count == 0)
            {
                return all;
            }
            all.AddRange(proposed);
            Clock.Advance(TimeSpan.FromSeconds(1));
        }
        throw new InvalidOperationException("the schedulers never stopped proposing");
    }

    public Dictionary<ulong, int> LeaderCounts() =>
        _stores.Keys.ToDictionary(s => s, s => _regions.Values.Count(r => r.Leader!.Value.StoreId == s));

    public Dictionary<ulong, int> ReplicaCounts() =>
        _stores.Keys.ToDictionary(s => s, s => _regions.Values.Count(r => r.Region.PeerOnStore(s) is not null));
}
