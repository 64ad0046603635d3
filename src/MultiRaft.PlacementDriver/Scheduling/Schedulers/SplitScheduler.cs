namespace MultiRaft.PlacementDriver.Scheduling.Schedulers;

/// <summary>Split by size: a region at or above either threshold is split at its middle key (the store
/// picks it from its data).</summary>
public sealed record SplitConfig
{
    /// <summary>TiKV's default region size: 96 MiB.</summary>
    public ulong MaxBytes { get; init; } = 96UL << 20;

    /// <summary>TiKV's default: 960,000 keys.</summary>
    public ulong MaxKeys { get; init; } = 960_000;

    public int MaxOperatorsPerRound { get; init; } = 16;
}

/// <summary>Splits regions that grew past <see cref="SplitConfig.MaxBytes"/> or <see cref="SplitConfig.MaxKeys"/>.</summary>
public sealed class SplitScheduler(SplitConfig? config = null) : Scheduler<SplitConfig>(config ?? new SplitConfig())
{
    public const string SchedulerName = "split";

    public override string Name => SchedulerName;

    public override void Schedule(SchedulingContext context)
    {
        var config = Config;
        ProposePerRegion(context, config.MaxOperatorsPerRound, region =>
        {
            if (region.Stats is not { } stats)
            {
                return null;
            }
            var reason = stats.ApproximateBytes >= config.MaxBytes
                ? $"approximate size {stats.ApproximateBytes} B reached {config.MaxBytes} B"
                : stats.ApproximateKeys >= config.MaxKeys ? $"approximate keys {stats.ApproximateKeys} reached {config.MaxKeys}" : null;
            return reason is null ? null : Operator.Split(region.Region, [], Name, reason);
        });
    }

    protected override void Validate(SplitConfig config)
    {
        ArgumentOutOfRangeException.ThrowIfZero(config.MaxBytes);
        ArgumentOutOfRangeException.ThrowIfZero(config.MaxKeys);
        ArgumentOutOfRangeException.ThrowIfLessThan(config.MaxOperatorsPerRound, 1);
    }
}
