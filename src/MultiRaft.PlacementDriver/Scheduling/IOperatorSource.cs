using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Pd;

namespace MultiRaft.PlacementDriver.Scheduling;

/// <summary>
/// Where the answer to a region heartbeat comes from: the next step of an operator running on that region,
/// if any. Schedulers and the operator controller plug in here; PD asks after it has recorded the heartbeat.
/// </summary>
public interface IOperatorSource
{
    /// <summary>The step the region's leader should carry out now, or null. Called once per heartbeat PD
    /// accepted (not for stale ones), with <paramref name="region"/> as PD holds it after the heartbeat (the
    /// heartbeat carries the region's metadata only when it changed); must be quick (the leader waits for the
    /// answer).</summary>
    OperatorStep? NextStep(RegionHeartbeatRequest heartbeat, RegionInfo region);

    /// <summary>The steps due now for regions led from <paramref name="storeId"/> (as PD last heard), which a
    /// store polls for between heartbeats so an operator starts within a second. Progress is still judged on
    /// heartbeats; a step sent twice is refused harmlessly by the store.</summary>
    OperatorStep[] PendingSteps(ulong storeId, RegionRegistry regions) => [];
}

/// <summary>No scheduling yet: every heartbeat is answered with no step.</summary>
public sealed class NoOperators : IOperatorSource
{
    public static NoOperators Instance { get; } = new();

    public OperatorStep? NextStep(RegionHeartbeatRequest heartbeat, RegionInfo region) => null;
}
