using MultiRaft.PlacementDriver.Scheduling.Schedulers;

namespace MultiRaft.PlacementDriver.Scheduling;

/// <summary>PD's scheduling: how often the schedulers run, which run, their thresholds, and the operator limits.</summary>
public sealed record SchedulingOptions
{
    /// <summary>How often the enabled schedulers run (and operator timeouts are checked).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The schedulers that start enabled, by name; null: all of them (<see cref="SchedulerRunner.AllNames"/>).</summary>
    public IReadOnlyCollection<string>? Enabled { get; init; }

    public OperatorLimits Limits { get; init; } = new();

    public SplitConfig Split { get; init; } = new();

    public LoadSplitConfig LoadSplit { get; init; } = new();

    public BalanceLeaderConfig BalanceLeader { get; init; } = new();

    public BalanceRegionConfig BalanceRegion { get; init; } = new();

    public HotRegionConfig HotRegion { get; init; } = new();

    public ReplicaRepairConfig ReplicaRepair { get; init; } = new();

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Interval, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(Limits);
        Limits.Validate();
        foreach (var name in Enabled ?? [])
        {
            if (Array.IndexOf(SchedulerRunner.AllNames, name) < 0)
            {
                throw new ArgumentException($"no scheduler is called '{name}' (there are: {string.Join(", ", SchedulerRunner.AllNames)})", nameof(Enabled));
            }
        }
    }
}
