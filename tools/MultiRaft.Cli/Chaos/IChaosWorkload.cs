using MultiRaft.Chaos;

namespace MultiRaft.Cli.Chaos;

/// <summary>What a chaos run puts under the faults: the clients' operations, recorded in the history, and how
/// the history is judged once the faults have healed.</summary>
internal interface IChaosWorkload : IAsyncDisposable
{
    /// <summary>Keys to split at before the load starts, so that the workload spans regions from the start.</summary>
    IReadOnlyList<string> PreSplitKeys { get; }

    /// <summary>A key for the "ops" nemesis to split at: one of the workload's, so that its ranges are cut.</summary>
    string SplitKey(Random random);

    /// <summary>Whether every "ops" operation acts on a region holding a <see cref="SplitKey"/> rather than on
    /// any region: for a workload whose keys lie in a few regions among others.</summary>
    bool AimOpsAtKeys { get; }

    /// <summary>Waits until the cluster serves and sets up what the workers need (an operation that changes
    /// data is recorded in the history).</summary>
    Task PrepareAsync(HistoryWriter history, CancellationToken cancellation);

    /// <summary>Runs <paramref name="workers"/> clients until <paramref name="stop"/>.</summary>
    Task RunAsync(HistoryWriter history, int workers, CancellationToken stop);

    /// <summary>After the faults healed: reads the final state (retrying until the cluster answers) and checks
    /// <paramref name="operations"/>, the paired history.</summary>
    Task<ChaosVerdict> CheckAsync(IReadOnlyList<Operation> operations, CancellationToken cancellation);
}

/// <summary>How a chaos run ended.</summary>
/// <param name="Summary">The run's last line: <c>ops N, anomalies A, lost L</c>.</param>
/// <param name="Report">Every anomaly and loss, printed when the check failed.</param>
/// <param name="Counts">What the workload got done, printed when it passed (null: nothing to add).</param>
/// <param name="Futile">Why the run proved nothing although its history is fine (null: it did), which fails it too.</param>
internal sealed record ChaosVerdict(bool IsValid, string Summary, string Report, string? Counts = null, string? Futile = null);
