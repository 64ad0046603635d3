using System.Text.Json.Serialization;

namespace MultiRaft.Cli.Bench;

/// <summary>One benchmark run, as <c>--json</c> writes it (lowerCamelCase; latencies in milliseconds).</summary>
internal sealed record BenchResult(
    string Workload,
    int Clients,
    double DurationSec,
    double OpsPerSec,
    long Errors,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    double P999Ms,
    SortedDictionary<string, OperationResult> PerOperation,
    SortedDictionary<string, long> ErrorsByKind,
    TimelinePoint[] Timeline,
    int KeySize,
    int ValueSize,
    long Keys,
    string Distribution)
{
    /// <summary>Garbage-collection pauses in this process while measuring (with --local, the servers' too).</summary>
    public double GcPauseMs { get; init; }

    public int Gen2Collections { get; init; }

    /// <summary>Of the transactions tried, the share that did not commit because of another one (counted, not
    /// retried); absent for workloads without transactions.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ConflictRate { get; init; }
}

internal sealed record OperationResult(long Ops, double OpsPerSec, long Errors, double P50Ms, double P95Ms, double P99Ms, double P999Ms, double MaxMs);

/// <summary>One second of a run: <c>sec</c> counts from the end of the warm-up.</summary>
internal sealed record TimelinePoint(int Sec, double OpsPerSec, double P99Ms);
