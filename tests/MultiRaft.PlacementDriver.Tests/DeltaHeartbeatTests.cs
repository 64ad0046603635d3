using MultiRaft.PlacementDriver.Scheduling;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Pd;
using static MultiRaft.PlacementDriver.Tests.PdHarness;

namespace MultiRaft.PlacementDriver.Tests;

/// <summary>Region heartbeats without the region's metadata, through the handler the RPC service runs: PD takes
/// them only for a region it holds at that epoch, asks for the whole region otherwise, and never lets an older
/// report overwrite newer metadata.</summary>
public class DeltaHeartbeatTests
{
    private static readonly RegionInfo Region10 = Region(10, "", "", 2, 3, 1, 2, 3);

    /// <summary>Keeps what the handler passed on to the operator source.</summary>
    private sealed class Recorder : IOperatorSource
    {
        public List<(RegionHeartbeatRequest Heartbeat, RegionInfo Region)> Seen { get; } = [];

        public OperatorStep? NextStep(RegionHeartbeatRequest heartbeat, RegionInfo region)
        {
            Seen.Add((heartbeat, region));
            return null;
        }
    }

    private readonly RegionRegistry _regions = new();
    private readonly Recorder _operators = new();
    private readonly RegionHeartbeatHandler _handler;

    public DeltaHeartbeatTests() => _handler = new RegionHeartbeatHandler(_regions, _operators);

    private RegionState Only() => Assert.Single(_regions.Snapshot());

    [Fact]
    public void A_delta_for_a_known_region_updates_leader_term_and_load_and_operators_see_the_whole_region()
    {
        Assert.False(_handler.Handle(Heartbeat(Region10, 0, 5, bytes: 1)).NeedFullRegion);

        var delta = Delta(Region10, 1, 6, bytes: 42) with { DownPeers = [Region10.Peers[2].Id] };
        var response = _handler.Handle(delta);

        Assert.False(response.NeedFullRegion);
        var state = Only();
        Assert.Equal(Region10, state.Region);
        Assert.Equal(Region10.Peers[1], state.Leader);
        Assert.Equal(42UL, state.Stats!.ApproximateBytes);
        Assert.Equal([Region10.Peers[2].Id], state.DownPeers);
        var (seen, region) = _operators.Seen[^1];
        Assert.Same(delta, seen);
        Assert.Equal(Region10, region);
    }

    [Fact]
    public void A_delta_for_an_unknown_region_asks_for_the_whole_region_and_changes_nothing()
    {
        Assert.True(_handler.Handle(Delta(Region10, 0, 5)).NeedFullRegion);

        Assert.Equal(0, _regions.Count);
        Assert.Empty(_operators.Seen);
        Assert.Empty(_regions.TakeDirty());
    }

    [Fact]
    public void A_delta_at_a_newer_epoch_asks_for_the_whole_region_which_is_then_accepted()
    {
        _handler.Handle(Heartbeat(Region10, 0, 5, bytes: 1));
        _regions.TakeDirty();
        var split = Region10 with { EndKey = Key("m"), Epoch = new EpochInfo(2, 4) };

        Assert.True(_handler.Handle(Delta(split, 1, 6, bytes: 99)).NeedFullRegion);
        var state = Only();
        Assert.Equal(Region10, state.Region);
        Assert.Equal(Region10.Peers[0], state.Leader);
        Assert.Equal(1UL, state.Stats!.ApproximateBytes);
        Assert.Empty(_regions.TakeDirty());
        Assert.Single(_operators.Seen); // Only the first, accepted heartbeat.

        Assert.False(_handler.Handle(Heartbeat(split, 1, 6, bytes: 99)).NeedFullRegion);
        state = Only();
        Assert.Equal(split, state.Region);
        Assert.Equal(split.Peers[1], state.Leader);
        Assert.False(_handler.Handle(Delta(split, 1, 6, bytes: 7)).NeedFullRegion);
        Assert.Equal(7UL, Only().Stats!.ApproximateBytes);
    }

    [Fact]
    public void A_delta_whose_leader_is_not_among_the_known_peers_asks_for_the_whole_region()
    {
        _handler.Handle(Heartbeat(Region10, 0, 5));
        var elsewhere = Delta(Region10, 0, 6) with { Leader = new PeerInfo(999, 4, false) };

        Assert.True(_handler.Handle(elsewhere).NeedFullRegion);
        Assert.Equal(Region10.Peers[0], Only().Leader);
    }

    [Fact]
    public void Stale_heartbeats_whole_or_delta_never_overwrite_newer_metadata_and_get_no_answer()
    {
        _handler.Handle(Heartbeat(Region10, 0, 7, bytes: 1));
        var olderEpoch = Region10 with { Epoch = new EpochInfo(2, 2), Peers = [.. Region10.Peers, new PeerInfo(9, 4, false)] };

        var answers = new[]
        {
            _handler.Handle(Heartbeat(olderEpoch, 3, 8, bytes: 2)),
            _handler.Handle(Delta(olderEpoch, 3, 8, bytes: 2)),
            _handler.Handle(Heartbeat(Region10, 2, 6, bytes: 2)), // Same epoch, older term.
            _handler.Handle(Delta(Region10, 2, 6, bytes: 2)),
        };

        Assert.All(answers, a => Assert.Equal(new RegionHeartbeatResponse(null), a));
        var state = Only();
        Assert.Equal(Region10, state.Region);
        Assert.Equal(Region10.Peers[0], state.Leader);
        Assert.Equal(1UL, state.Stats!.ApproximateBytes);
        Assert.Single(_operators.Seen);
    }

    [Fact]
    public void Stale_heartbeats_get_no_step_from_a_running_operator()
    {
        var controller = new OperatorController();
        var handler = new RegionHeartbeatHandler(_regions, controller);
        handler.Handle(Heartbeat(Region10, 0, 7));
        Assert.True(controller.TryAdd(Operator.Split(Region10, [], "test", "size"), out _));

        Assert.Null(handler.Handle(Delta(Region10, 1, 6)).Step);
        Assert.NotNull(handler.Handle(Delta(Region10, 0, 7)).Step);
    }
}
