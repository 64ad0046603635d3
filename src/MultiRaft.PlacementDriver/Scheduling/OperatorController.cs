using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Pd;

namespace MultiRaft.PlacementDriver.Scheduling;

/// <summary>Limits and timeouts of the operator controller.</summary>
public sealed record OperatorLimits
{
    /// <summary>Operators adding or removing a replica on one store at once (each such store counts it).</summary>
    public int MaxReplicaOperatorsPerStore { get; init; } = 4;

    /// <summary>Leader transfers into or out of one store at once.</summary>
    public int MaxLeaderTransfersPerStore { get; init; } = 8;

    /// <summary>How long a membership step (add learner, promote, remove) may take before the operator is
    /// cancelled. Leaders report every 60 s by default and a promote waits for the learner to catch up, so this
    /// spans a few heartbeats.</summary>
    public TimeSpan MembershipStepTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>How long a split may take.</summary>
    public TimeSpan SplitTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>How long a leader transfer may take (the new leader reports at once).</summary>
    public TimeSpan LeaderTransferTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Ended operators kept for the API.</summary>
    public int HistorySize { get; init; } = 256;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReplicaOperatorsPerStore, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLeaderTransfersPerStore, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MembershipStepTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(SplitTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(LeaderTransferTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(HistorySize, 0);
    }
}

/// <summary>Sees every accepted region heartbeat (e.g. to track sustained load), with the region as PD holds
/// it; must be quick and thread-safe.</summary>
public interface IHeartbeatObserver
{
    void Observe(RegionHeartbeatRequest heartbeat, RegionInfo region);
}

/// <summary>
/// Runs operators: at most one per region. Each region heartbeat is answered with its operator's current step
/// (sent again while the heartbeat does not show it done); the operator advances when the heartbeat shows the
/// step took effect, finishes after its last step, and is cancelled when the region's epoch changed in a way
/// its step did not cause, or when a step runs past its timeout. Per-store limits bound how many operators
/// add or remove replicas (or move leaders) on one store at once. Every decision is logged with its reason;
/// the most recent ended operators are kept for the API.
/// <para>Thread-safe: heartbeats arrive concurrently. One lock guards the running set; a heartbeat holds it for
/// a dictionary lookup and, for a region with an operator, a few comparisons.</para>
/// </summary>
public sealed class OperatorController : IOperatorSource
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, Operator> _running = [];
    private readonly Queue<OperatorView> _history = new();
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private OperatorLimits _limits;
    private IHeartbeatObserver[] _observers = [];
    private long _nextId;

    public OperatorController(OperatorLimits? limits = null, TimeProvider? clock = null, ILogger? logger = null)
    {
        _limits = limits ?? new OperatorLimits();
        _limits.Validate();
        _clock = clock ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    public OperatorLimits Limits
    {
        get => Volatile.Read(ref _limits);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            Volatile.Write(ref _limits, value);
        }
    }

    /// <summary>Adds an observer of every accepted heartbeat.</summary>
    public void AddObserver(IHeartbeatObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (_lock)
        {
            _observers = [.. _observers, observer];
        }
    }

    /// <summary>Starts <paramref name="op"/> unless its region already has one or a store it touches is at
    /// its limit; <paramref name="refusal"/> says why not.</summary>
    public bool TryAdd(Operator op, out string? refusal)
    {
        ArgumentNullException.ThrowIfNull(op);
        lock (_lock)
        {
            refusal = RefusalLocked(op);
            if (refusal is not null)
            {
                _logger.LogDebug("{Operator} refused: {Refusal}", op, refusal);
                return false;
            }
            var now = _clock.GetUtcNow();
            op.Id = ++_nextId;
            op.Created = now;
            op.StepStarted = now;
            op.State = OperatorState.Running;
            _running[op.RegionId] = op;
        }
        _logger.LogInformation("{Operator} started: {Steps}", op, string.Join(", ", op.Actions));
        return true;
    }

    /// <summary>Why <paramref name="op"/> could not start now, or null when it could.</summary>
    public string? Refusal(Operator op)
    {
        ArgumentNullException.ThrowIfNull(op);
        lock (_lock)
        {
            return RefusalLocked(op);
        }
    }

    public bool HasOperator(ulong regionId)
    {
        lock (_lock)
        {
            return _running.ContainsKey(regionId);
        }
    }

    /// <summary>Cancels the region's operator (e.g. at an operator's request through the API).</summary>
    public bool Cancel(ulong regionId, string reason)
    {
        lock (_lock)
        {
            if (!_running.TryGetValue(regionId, out var op))
            {
                return false;
            }
            EndLocked(op, OperatorState.Cancelled, reason);
            return true;
        }
    }

    /// <summary>Ends the operators whose current step ran past its timeout; returns how many.</summary>
    public int CheckTimeouts()
    {
        var now = _clock.GetUtcNow();
        var limits = Limits;
        var ended = 0;
        lock (_lock)
        {
            List<Operator>? late = null;
            foreach (var op in _running.Values)
            {
                if (IsLate(op, now, limits))
                {
                    (late ??= []).Add(op);
                }
            }
            foreach (var op in late ?? [])
            {
                EndLocked(op, OperatorState.TimedOut, TimeoutReason(op, limits));
                ended++;
            }
        }
        return ended;
    }

    public OperatorStep? NextStep(RegionHeartbeatRequest heartbeat, RegionInfo region)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        ArgumentNullException.ThrowIfNull(region);
        foreach (var observer in Volatile.Read(ref _observers))
        {
            observer.Observe(heartbeat, region);
        }
        lock (_lock)
        {
            if (!_running.TryGetValue(region.Id, out var op))
            {
                return null;
            }
            var now = _clock.GetUtcNow();
            while (op.Current < op.Actions.Count && op.Actions[op.Current].IsDone(region, heartbeat.Leader, op.Baseline))
            {
                if (_logger.IsEnabled(LogLevel.Information))
                {
                    _logger.LogInformation("{Operator}: step {Step} ({Action}) done", op, op.Current + 1, op.Actions[op.Current]);
                }
                op.Current++;
                op.Baseline = region.Epoch;
                op.StepStarted = now;
            }
            if (op.Current == op.Actions.Count)
            {
                EndLocked(op, OperatorState.Finished, "every step done");
                return null;
            }
            if (region.Epoch != op.Baseline)
            {
                EndLocked(op, OperatorState.Cancelled,
                    $"the region's epoch changed from {Show(op.Baseline)} to {Show(region.Epoch)}, not by its step ({op.Actions[op.Current]})");
                return null;
            }
            var limits = Limits;
            if (IsLate(op, now, limits))
            {
                EndLocked(op, OperatorState.TimedOut, TimeoutReason(op, limits));
                return null;
            }
            return op.Actions[op.Current].ToStep(region, heartbeat.Leader);
        }
    }

    public OperatorStep[] PendingSteps(ulong storeId, RegionRegistry regions)
    {
        ArgumentNullException.ThrowIfNull(regions);
        lock (_lock)
        {
            var steps = new List<OperatorStep>();
            foreach (var op in _running.Values)
            {
                if (op.Current >= op.Actions.Count || regions.GetById(op.RegionId) is not { Region: { } region, Leader: { } leader }
                    || leader.StoreId != storeId || region.Epoch != op.Baseline)
                {
                    continue; // Whatever happened to the region, its next heartbeat decides.
                }
                steps.Add(op.Actions[op.Current].ToStep(region, leader));
            }
            return [.. steps];
        }
    }

    /// <summary>The running operators, oldest first.</summary>
    public OperatorView[] Running()
    {
        lock (_lock)
        {
            var views = new List<OperatorView>(_running.Count);
            foreach (var op in _running.Values)
            {
                views.Add(op.View());
            }
            views.Sort(static (a, b) => a.Id.CompareTo(b.Id));
            return [.. views];
        }
    }

    /// <summary>The operators that ended most recently (finished, cancelled, timed out), oldest first.</summary>
    public OperatorView[] History()
    {
        lock (_lock)
        {
            return [.. _history];
        }
    }

    /// <summary>The running operators with the step each is at, for schedulers to count what is on its way.</summary>
    internal (Operator Operator, int Current)[] RunningWithProgress()
    {
        lock (_lock)
        {
            var result = new (Operator, int)[_running.Count];
            var i = 0;
            foreach (var op in _running.Values)
            {
                result[i++] = (op, op.Current);
            }
            return result;
        }
    }

    private string? RefusalLocked(Operator op)
    {
        if (_running.TryGetValue(op.RegionId, out var existing))
        {
            return $"region {op.RegionId} already runs {existing}";
        }
        var limits = Limits;
        foreach (var store in op.AddsOn)
        {
            if (CountLocked(store, static (o, s) => o.AddsOn.Contains(s) || o.RemovesFrom.Contains(s)) >= limits.MaxReplicaOperatorsPerStore)
            {
                return $"store {store} already has {limits.MaxReplicaOperatorsPerStore} replica operators";
            }
        }
        foreach (var store in op.RemovesFrom)
        {
            if (CountLocked(store, static (o, s) => o.AddsOn.Contains(s) || o.RemovesFrom.Contains(s)) >= limits.MaxReplicaOperatorsPerStore)
            {
                return $"store {store} already has {limits.MaxReplicaOperatorsPerStore} replica operators";
            }
        }
        if (op.LeaderTo is { } to && CountLocked(to, static (o, s) => o.LeaderTo == s) >= limits.MaxLeaderTransfersPerStore)
        {
            return $"store {to} already receives {limits.MaxLeaderTransfersPerStore} leaders";
        }
        return null;
    }

    private int CountLocked(ulong store, Func<Operator, ulong, bool> touches)
    {
        var count = 0;
        foreach (var op in _running.Values)
        {
            count += touches(op, store) ? 1 : 0;
        }
        return count;
    }

    private void EndLocked(Operator op, OperatorState state, string outcome)
    {
        op.State = state;
        op.Outcome = outcome;
        op.Ended = _clock.GetUtcNow();
        _running.Remove(op.RegionId);
        var limit = Limits.HistorySize;
        if (limit > 0)
        {
            _history.Enqueue(op.View());
            while (_history.Count > limit)
            {
                _history.Dequeue();
            }
        }
        if (state == OperatorState.Finished)
        {
            _logger.LogInformation("{Operator} finished: {Outcome}", op, outcome);
        }
        else
        {
            _logger.LogWarning("{Operator} {State} at step {Step}: {Outcome}", op, state, op.Current + 1, outcome);
        }
    }

    private static TimeSpan TimeoutOf(Operator op, OperatorLimits limits) =>
        op.Actions[op.Current] switch
        {
            { IsLeaderTransfer: true } => limits.LeaderTransferTimeout,
            SplitAction => limits.SplitTimeout,
            _ => limits.MembershipStepTimeout,
        };

    private static bool IsLate(Operator op, DateTimeOffset now, OperatorLimits limits) =>
        now - op.StepStarted > TimeoutOf(op, limits);

    private static string TimeoutReason(Operator op, OperatorLimits limits) =>
        $"step {op.Current + 1} ({op.Actions[op.Current]}) not done within {TimeoutOf(op, limits).TotalSeconds:0.#} s";

    private static string Show(EpochInfo epoch) => $"({epoch.ConfVersion}, {epoch.Version})";
}
