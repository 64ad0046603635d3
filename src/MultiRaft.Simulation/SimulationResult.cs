namespace MultiRaft.Simulation;

/// <summary>The outcome of one seed.</summary>
public sealed record SimulationResult(
    int Seed,
    string Scenario,
    int Nodes,
    string? Violation,
    int AcknowledgedWrites,
    int ReadsServed,
    ulong FinalTerm,
    IReadOnlyList<string> Trace)
{
    public bool Passed => Violation is null;

    public override string ToString() =>
        $"seed {Seed} ({Scenario}, {Nodes} nodes): " + (Passed ? $"ok, {AcknowledgedWrites} writes acknowledged, {ReadsServed} reads, final term {FinalTerm}" : $"VIOLATION: {Violation}");
}
