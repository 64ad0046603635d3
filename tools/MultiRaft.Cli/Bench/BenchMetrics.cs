using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;

namespace MultiRaft.Cli.Bench;

/// <summary>
/// Latencies (HdrHistogram, microseconds, 3 significant digits) and errors per operation, recorded by many
/// client loops at once. <see cref="TakeSecond"/> swaps out what was recorded since its last call without
/// stopping the recorders, so the per-second timeline and the run's totals come from the same samples.
/// Phases (parts of an operation timed on their own) are reported per operation but left out of the run's
/// throughput and latencies, which count each operation once.
/// </summary>
internal sealed class BenchMetrics
{
    /// <summary>The error kind of a transaction that did not commit because another one touched its keys.</summary>
    public const string ConflictKind = "TxnConflict";

    private const long MaxLatencyMicros = 120_000_000; // Longer than any client timeout.
    private readonly HashSet<BenchOperation> _phases;
    private readonly Dictionary<BenchOperation, Recorder> _recorders;
    private readonly Dictionary<BenchOperation, HistogramBase> _totals;
    private readonly ConcurrentDictionary<BenchOperation, long> _errors = new();
    private readonly ConcurrentDictionary<string, long> _errorKinds = new();
    private readonly List<TimelinePoint> _timeline = [];

    public BenchMetrics(IEnumerable<BenchOperation> operations, IEnumerable<BenchOperation> phases)
    {
        _phases = [.. phases];
        _recorders = operations.Concat(_phases).Distinct().ToDictionary(o => o, _ => NewRecorder());
        _totals = _recorders.Keys.ToDictionary(o => o, _ => (HistogramBase)NewHistogram());
    }

    public void Record(BenchOperation operation, long startTimestamp) =>
        _recorders[operation].RecordValue(Math.Clamp((long)Stopwatch.GetElapsedTime(startTimestamp).TotalMicroseconds, 1, MaxLatencyMicros));

    /// <summary>Counts a failed request by operation and by kind (the exception's type, or a name such as
    /// <c>NotFound</c> for a read that found no value).</summary>
    public void Fail(BenchOperation operation, string kind)
    {
        _errors.AddOrUpdate(operation, 1, static (_, n) => n + 1);
        _errorKinds.AddOrUpdate(kind, 1, static (_, n) => n + 1);
    }

    /// <summary>Drops everything recorded so far (the warm-up).</summary>
    public void Reset()
    {
        foreach (var recorder in _recorders.Values)
        {
            recorder.Reset();
        }
        _errors.Clear();
        _errorKinds.Clear();
    }

    /// <summary>Closes one second of measurement: adds its samples to the totals and returns its timeline point.</summary>
    public TimelinePoint TakeSecond(int second, double elapsedSeconds)
    {
        var combined = NewHistogram();
        foreach (var (operation, recorder) in _recorders)
        {
            var interval = recorder.GetIntervalHistogram();
            _totals[operation].Add(interval);
            if (!_phases.Contains(operation))
            {
                combined.Add(interval);
            }
        }
        var point = new TimelinePoint(second, Math.Round(combined.TotalCount / elapsedSeconds), Milliseconds(combined, 99));
        _timeline.Add(point);
        return point;
    }

    public BenchResult Result(BenchSettings settings, double seconds)
    {
        var all = NewHistogram();
        var perOperation = new SortedDictionary<string, OperationResult>(StringComparer.Ordinal);
        long attempts = 0;
        foreach (var (operation, total) in _totals)
        {
            if (!_phases.Contains(operation))
            {
                all.Add(total);
                attempts += total.TotalCount + _errors.GetValueOrDefault(operation);
            }
            perOperation[JsonName(operation)] = new OperationResult(total.TotalCount, Math.Round(total.TotalCount / seconds),
                _errors.GetValueOrDefault(operation), Milliseconds(total, 50), Milliseconds(total, 95), Milliseconds(total, 99),
                Milliseconds(total, 99.9), total.TotalCount == 0 ? 0 : total.GetMaxValue() / 1000.0);
        }
        return new BenchResult(settings.Workload.Name, settings.Clients, Math.Round(seconds, 1), Math.Round(all.TotalCount / seconds),
            _errors.Values.Sum(), Milliseconds(all, 50), Milliseconds(all, 95), Milliseconds(all, 99), Milliseconds(all, 99.9),
            perOperation, new SortedDictionary<string, long>(_errorKinds, StringComparer.Ordinal), [.. _timeline],
            settings.KeySize, settings.ValueSize, settings.Keys, settings.Distribution.ToString().ToLowerInvariant())
        {
            ConflictRate = settings.Workload.Transactional
                ? Math.Round(attempts == 0 ? 0 : _errorKinds.GetValueOrDefault(ConflictKind) / (double)attempts, 4)
                : null,
        };
    }

    private static string JsonName(BenchOperation operation)
    {
        var name = operation.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    private static double Milliseconds(HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? 0 : Math.Round(histogram.GetValueAtPercentile(percentile) / 1000.0, 3);

    private static Recorder NewRecorder() =>
        HistogramFactory.With64BitBucketSize().WithValuesFrom(1).WithValuesUpTo(MaxLatencyMicros).WithPrecisionOf(3)
            .WithThreadSafeWrites().WithThreadSafeReads().Create();

    private static LongHistogram NewHistogram() => new(1, MaxLatencyMicros, 3);
}
