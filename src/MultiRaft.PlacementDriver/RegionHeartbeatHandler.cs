using MultiRaft.PlacementDriver.Scheduling;
using MultiRaft.Protocol.Pd;

namespace MultiRaft.PlacementDriver;

/// <summary>
/// PD's answer to a region heartbeat: the registry records it, and an accepted one goes on to the operator
/// source with the region as PD holds it (a heartbeat carries the region's metadata only when it changed, so
/// operators and observers must not read it from there).
/// </summary>
internal sealed class RegionHeartbeatHandler(RegionRegistry regions, IOperatorSource operators)
{
    // The usual answers carry nothing that varies, so they are shared rather than allocated per heartbeat.
    private static readonly RegionHeartbeatResponse NoStep = new(null);
    private static readonly RegionHeartbeatResponse SendFullRegion = new(null, NeedFullRegion: true);

    public RegionHeartbeatResponse Handle(RegionHeartbeatRequest heartbeat) =>
        regions.Heartbeat(heartbeat, out var region) switch
        {
            RegionUpdate.NeedFullRegion => SendFullRegion,
            RegionUpdate.Stale => NoStep, // An old leader or an old epoch: nothing it could do would be accepted.
            _ => operators.NextStep(heartbeat, region!) is { } step ? new RegionHeartbeatResponse(step) : NoStep,
        };
}
