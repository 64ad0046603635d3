using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MultiRaft.PlacementDriver.Scheduling.Schedulers;

namespace MultiRaft.PlacementDriver.Scheduling;

/// <summary>
/// Runs the enabled schedulers every <see cref="Interval"/>: one snapshot of the cluster per round, operator
/// timeouts checked first, then each scheduler in order (repair before splitting, splitting before balancing),
/// their operators handed to the <see cref="OperatorController"/>. Tests call <see cref="RunOnce"/> with a
/// manual clock instead of starting the loop.
/// </summary>
public sealed class SchedulerRunner : IAsyncDisposable
{
    /// <summary>Every scheduler, in the order a round runs them.</summary>
    public static readonly string[] AllNames =
    [
        ReplicaRepairScheduler.SchedulerName,
        SplitScheduler.SchedulerName,
        LoadSplitScheduler.SchedulerName,
        BalanceRegionScheduler.SchedulerName,
        BalanceLeaderScheduler.SchedulerName,
        HotRegionScheduler.SchedulerName,
    ];

    private readonly IClusterView _view;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly Scheduler[] _schedulers;
    private readonly Lock _roundLock = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public SchedulerRunner(OperatorController controller, IClusterView view, IEnumerable<Scheduler> schedulers, TimeSpan interval,
        TimeProvider? clock = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(controller);
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(schedulers);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        Controller = controller;
        _view = view;
        _schedulers = [.. schedulers];
        Interval = interval;
        _clock = clock ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        foreach (var scheduler in _schedulers)
        {
            if (scheduler is IHeartbeatObserver observer)
            {
                controller.AddObserver(observer);
            }
        }
    }

    /// <summary>The standard schedulers, configured and enabled as <paramref name="options"/> say, over
    /// <paramref name="controller"/>.</summary>
    public static SchedulerRunner Create(SchedulingOptions options, OperatorController controller, IClusterView view, TimeProvider? clock = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Scheduler[] schedulers =
        [
            new ReplicaRepairScheduler(options.ReplicaRepair),
            new SplitScheduler(options.Split),
            new LoadSplitScheduler(options.LoadSplit),
            new BalanceRegionScheduler(options.BalanceRegion),
            new BalanceLeaderScheduler(options.BalanceLeader),
            new HotRegionScheduler(options.HotRegion),
        ];
        foreach (var scheduler in schedulers)
        {
            scheduler.Enabled = options.Enabled is null || options.Enabled.Contains(scheduler.Name);
        }
        return new SchedulerRunner(controller, view, schedulers, options.Interval, clock, logger);
    }

    public OperatorController Controller { get; }

    public TimeSpan Interval { get; }

    /// <summary>Every scheduler (enabled or not), in the order a round runs them.</summary>
    public IReadOnlyList<Scheduler> Schedulers => _schedulers;

    /// <summary>Rounds run so far.</summary>
    public long Rounds { get; private set; }

    public Scheduler? Find(string name)
    {
        foreach (var scheduler in _schedulers)
        {
            if (string.Equals(scheduler.Name, name, StringComparison.Ordinal))
            {
                return scheduler;
            }
        }
        return null;
    }

    /// <summary>Enables or disables a scheduler by name; false when there is none of that name.</summary>
    public bool SetEnabled(string name, bool enabled)
    {
        if (Find(name) is not { } scheduler)
        {
            return false;
        }
        if (scheduler.Enabled != enabled)
        {
            scheduler.Enabled = enabled;
            _logger.LogInformation("Scheduler {Scheduler} {State}", name, enabled ? "enabled" : "disabled");
        }
        return true;
    }

    /// <summary>One round: timeouts, then every enabled scheduler. Returns the operators it started.</summary>
    public IReadOnlyList<Operator> RunOnce()
    {
        lock (_roundLock)
        {
            Controller.CheckTimeouts();
            var proposed = Round(static s => s.Enabled, dryRun: false).Proposed;
            Rounds++;
            return proposed;
        }
    }

    /// <summary>One round of the schedulers named <paramref name="names"/> (in round order), now, whether they
    /// are enabled or not: an operator may balance on demand with automatic balancing switched off. With
    /// <paramref name="dryRun"/> nothing starts and the context holds what would have.</summary>
    public SchedulingContext RunNow(IReadOnlyCollection<string> names, bool dryRun)
    {
        ArgumentNullException.ThrowIfNull(names);
        lock (_roundLock)
        {
            return Round(s => names.Contains(s.Name), dryRun);
        }
    }

    private SchedulingContext Round(Func<Scheduler, bool> include, bool dryRun)
    {
        var context = new SchedulingContext(_view, Controller, _clock.GetUtcNow(), dryRun);
        foreach (var scheduler in _schedulers)
        {
            if (!include(scheduler))
            {
                continue;
            }
            try
            {
                scheduler.Schedule(context);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // One scheduler's bug must not stop the others (nor the loop).
                _logger.LogError(e, "Scheduler {Scheduler} failed", scheduler.Name);
            }
        }
        return context;
    }

    /// <summary>Starts running a round every <see cref="Interval"/> in the background.</summary>
    public void Start()
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("the scheduler loop is already running");
        }
        _loop = Task.Run(() => LoopAsync(_stop.Token));
    }

    private async Task LoopAsync(CancellationToken cancellation)
    {
        using var timer = new PeriodicTimer(Interval, _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellation).ConfigureAwait(false))
            {
                try
                {
                    RunOnce();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    _logger.LogError(e, "Scheduling round failed");
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
        _stop.Dispose();
    }
}
