namespace MultiRaft.Simulation;

/// <summary>
/// The fault mix of one simulated run. Probabilities are per simulated time unit (one tick of every node)
/// unless said otherwise. A seed picks a scenario and a group size, so a range of seeds covers them all.
/// </summary>
public sealed record Scenario
{
    public required string Name { get; init; }

    /// <summary>Chance that a message is lost.</summary>
    public double DropRate { get; init; }

    /// <summary>Chance that a message is delivered twice.</summary>
    public double DuplicateRate { get; init; }

    /// <summary>Messages take 1..MaxDelay time units; different delays reorder them.</summary>
    public int MaxDelay { get; init; } = 1;

    public double PartitionRate { get; init; }

    public double HealRate { get; init; } = 0.05;

    public double CrashRate { get; init; }

    /// <summary>Chance, per Ready, that a node crashes after sending its leader appends but before its
    /// write is durable (the write is lost).</summary>
    public double CrashMidReadyRate { get; init; }

    public double RestartRate { get; init; } = 0.1;

    /// <summary>Chance that a live node stops ticking (a hibernating region's host) until input or
    /// <see cref="ResumeRate"/> resumes it: a paused leader's tick count no longer follows real time.</summary>
    public double PauseRate { get; init; }

    public double ResumeRate { get; init; } = 0.03;

    public double ConfChangeRate { get; init; }

    public double TransferRate { get; init; }

    public double CompactRate { get; init; } = 0.02;

    public double ProposeRate { get; init; } = 0.6;

    public double ReadRate { get; init; } = 0.2;

    /// <summary>Time units of chaos before the network heals and liveness is checked.</summary>
    public int ChaosTime { get; init; } = 300;

    /// <summary>After healing, every acknowledged write must be applied on every member within this many ticks.</summary>
    public int HealDeadline { get; init; } = 600;

    public static IReadOnlyList<Scenario> All { get; } =
    [
        new() { Name = "lossy", DropRate = 0.1, DuplicateRate = 0.05, MaxDelay = 3 },
        new() { Name = "partitions", DropRate = 0.02, MaxDelay = 2, PartitionRate = 0.03, HealRate = 0.04 },
        new() { Name = "crashes", DropRate = 0.02, MaxDelay = 2, CrashRate = 0.02, CrashMidReadyRate = 0.002, RestartRate = 0.08 },
        new() { Name = "membership", DropRate = 0.03, MaxDelay = 2, ConfChangeRate = 0.04, TransferRate = 0.01, CompactRate = 0.05 },
        new() { Name = "pauses", DropRate = 0.02, MaxDelay = 2, PartitionRate = 0.03, HealRate = 0.03, PauseRate = 0.03, ReadRate = 0.4, TransferRate = 0.01 },
        new()
        {
            Name = "mixed", DropRate = 0.05, DuplicateRate = 0.02, MaxDelay = 4, PartitionRate = 0.02, CrashRate = 0.01,
            CrashMidReadyRate = 0.001, ConfChangeRate = 0.02, TransferRate = 0.02, CompactRate = 0.05,
        },
    ];

    public static Scenario ByName(string name) =>
        All.FirstOrDefault(s => s.Name == name) ?? throw new ArgumentException($"unknown scenario '{name}'; known: {string.Join(", ", All.Select(s => s.Name))}");
}
