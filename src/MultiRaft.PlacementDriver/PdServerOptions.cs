using System.Net;
using Microsoft.Extensions.Logging;

namespace MultiRaft.PlacementDriver;

/// <summary>How a PD server runs: where it listens, where it keeps its metadata, and its timing knobs.</summary>
public sealed record PdServerOptions
{
    /// <summary>The endpoint to listen on (port 0: any free port; <see cref="PdServer.Endpoint"/> says which).</summary>
    public required IPEndPoint Listen { get; init; }

    /// <summary>Where the HTTP API listens (JSON for the ops tool); null: no HTTP API.</summary>
    public IPEndPoint? HttpListen { get; init; }

    /// <summary>Where the metadata log lives; created if missing.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Replicas per region; also how many stores must register before the cluster bootstraps.</summary>
    public int MaxReplicas { get; init; } = 3;

    /// <summary>A store without a heartbeat for this long is Disconnected (no new work goes to it).</summary>
    public TimeSpan StoreDisconnectedAfter { get; init; } = TimeSpan.FromSeconds(20); // Two missed 10 s store heartbeats.

    /// <summary>A store without a heartbeat for this long is Down (its replicas get repaired elsewhere).</summary>
    public TimeSpan StoreDownAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often changed regions are written to disk. Region heartbeats are not durable when they
    /// are answered: leaders report again, so a crash losing this much is harmless.</summary>
    public TimeSpan RegionFlushInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How far ahead of the clock the TSO persists its high-water mark (one fsync per window).</summary>
    public TimeSpan TsoWindow { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Time source for store liveness and the TSO (tests substitute a manual clock).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Where the answers to region heartbeats come from. Null (the default): PD's own
    /// <see cref="Scheduling.OperatorController"/> fed by the schedulers of <see cref="Scheduling"/>; any other
    /// source replaces both (<see cref="Scheduling.NoOperators"/>: no scheduling at all).</summary>
    public Scheduling.IOperatorSource? Operators { get; init; }

    /// <summary>The schedulers and operator limits used when <see cref="Operators"/> is null.</summary>
    public Scheduling.SchedulingOptions Scheduling { get; init; } = new();

    public ILogger? Logger { get; init; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Listen);
        ArgumentException.ThrowIfNullOrWhiteSpace(DataDirectory);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReplicas, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(StoreDisconnectedAfter, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(StoreDownAfter, StoreDisconnectedAfter);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RegionFlushInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(TsoWindow, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(Clock);
        ArgumentNullException.ThrowIfNull(Scheduling);
        Scheduling.Validate();
    }
}
