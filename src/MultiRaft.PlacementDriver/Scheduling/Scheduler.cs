namespace MultiRaft.PlacementDriver.Scheduling;

/// <summary>
/// A scheduler looks at one <see cref="SchedulingContext"/> per round and proposes operators. It has a name, an
/// enabled flag and a configuration (an immutable record, replaced as a whole) that an API can read and set.
/// </summary>
public abstract class Scheduler
{
    private volatile bool _enabled = true;

    public abstract string Name { get; }

    public bool Enabled
    {
        get => _enabled;
        set => _enabled = value;
    }

    /// <summary>The current configuration record.</summary>
    public abstract object ConfigObject { get; }

    /// <summary>The type <see cref="Configure"/> accepts (for an API that deserializes it).</summary>
    public abstract Type ConfigType { get; }

    /// <summary>Replaces the configuration; a record of another type or with invalid values throws ArgumentException.</summary>
    public abstract void Configure(object config);

    /// <summary>Proposes this round's operators through <see cref="SchedulingContext.Propose"/>.</summary>
    public abstract void Schedule(SchedulingContext context);

    /// <summary>Walks the regions that have a leader and no operator yet, proposing what
    /// <paramref name="decide"/> gives for each, until <paramref name="max"/> were accepted.</summary>
    protected static void ProposePerRegion(SchedulingContext context, int max, Func<RegionState, Operator?> decide)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(decide);
        var proposed = 0;
        foreach (var region in context.Regions)
        {
            if (proposed >= max)
            {
                return;
            }
            if (region.Leader is not null && !context.IsBusy(region.Region.Id) && decide(region) is { } op && context.Propose(op))
            {
                proposed++;
            }
        }
    }
}

/// <summary>A scheduler with a typed configuration.</summary>
public abstract class Scheduler<TConfig> : Scheduler where TConfig : class
{
    private TConfig _config;

    protected Scheduler(TConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Validate(config);
        _config = config;
    }

    public TConfig Config
    {
        get => Volatile.Read(ref _config);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            Validate(value);
            Volatile.Write(ref _config, value);
        }
    }

    public override object ConfigObject => Config;

    public override Type ConfigType => typeof(TConfig);

    public override void Configure(object config) =>
        Config = config as TConfig ?? throw new ArgumentException($"scheduler {Name} takes a {typeof(TConfig).Name}", nameof(config));

    /// <summary>Throws ArgumentException (or a subclass) for values the scheduler cannot work with.</summary>
    protected virtual void Validate(TConfig config)
    {
    }
}
