using System.CommandLine;

namespace MultiRaft.Cli.Bench;

/// <summary>The flags <c>bench</c> and <c>bench scale-out</c> share, and their checks: every bad value is
/// refused with a message before anything starts.</summary>
internal sealed class BenchOptions
{
    public Option<string> Workload { get; } = new("--workload")
    {
        Description = $"the operation mix: {string.Join(", ", BenchWorkload.All.Select(w => $"{w.Name} ({w.Description})"))}",
        DefaultValueFactory = _ => "write",
    };

    public Option<int> Clients { get; } = new("--clients") { Description = "requests in flight at once", DefaultValueFactory = _ => 256 };

    public Option<int> KeySize { get; } = new("--key-size") { Description = "key size in bytes", DefaultValueFactory = _ => 16 };

    public Option<int> ValueSize { get; } = new("--value-size") { Description = "value size in bytes", DefaultValueFactory = _ => 100 };

    public Option<long> Keys { get; } = new("--keys") { Description = "distinct keys the load touches (read workloads load them first)", DefaultValueFactory = _ => 100_000 };

    public Option<string> Distribution { get; } = new("--distribution") { Description = "key choice: uniform or zipfian (YCSB's skew, θ = 0.99)", DefaultValueFactory = _ => "uniform" };

    public Option<string> Duration { get; } = new("--duration") { Description = "how long to measure (30s, 2m, ...)", DefaultValueFactory = _ => "30s" };

    public Option<string> Warmup { get; } = new("--warmup") { Description = "how long to run before measuring", DefaultValueFactory = _ => "5s" };

    public Option<double?> Rate { get; } = new("--rate") { Description = "cap the load at this many operations per second (latency at a given load, e.g. half the peak)" };

    public Option<int> Seed { get; } = new("--seed") { Description = "seeds key and operation choice", DefaultValueFactory = _ => 1 };

    public Option<string?> Json { get; } = new("--json") { Description = "also write the results (with a per-second timeline) to this JSON file" };

    public Option<string?> Chart { get; } = new("--chart") { Description = "also draw throughput and p99 over time into this .svg file" };

    public Option<string> Pd { get; } = CliDefaults.PdOption();

    public Option<int> Local { get; } = new("--local")
    {
        Description = "start a local cluster of N stores (3 replicas, fsync on) in a temporary directory instead of using --pd",
        DefaultValueFactory = _ => 0,
    };

    public IEnumerable<Option> All => [Workload, Clients, KeySize, ValueSize, Keys, Distribution, Duration, Warmup, Rate, Seed, Json, Chart, Pd, Local];

    /// <summary>The run's settings; <see cref="ArgumentException"/> with a message for any bad value.</summary>
    public BenchSettings Settings(ParseResult parse)
    {
        var settings = new BenchSettings
        {
            Workload = BenchWorkload.Parse(parse.GetValue(Workload)!),
            Clients = parse.GetValue(Clients),
            KeySize = parse.GetValue(KeySize),
            ValueSize = parse.GetValue(ValueSize),
            Keys = parse.GetValue(Keys),
            Distribution = parse.GetValue(Distribution) switch
            {
                "uniform" => KeyDistribution.Uniform,
                "zipfian" => KeyDistribution.Zipfian,
                var other => throw new ArgumentException($"--distribution must be uniform or zipfian, not '{other}'"),
            },
            Duration = DurationText.Parse(parse.GetValue(Duration)!, "--duration"),
            Warmup = DurationText.Parse(parse.GetValue(Warmup)!, "--warmup"),
            Rate = parse.GetValue(Rate),
            Seed = parse.GetValue(Seed),
        };
        var keySpace = new KeySpace(settings.KeySize);
        var error = settings.Clients is < 1 or > 100_000 ? "--clients must be between 1 and 100,000"
            : settings.ValueSize is < 0 or > 8 * 1024 * 1024 ? "--value-size must be between 0 and 8 MiB"
            : settings.Keys < 1 || (ulong)settings.Keys > keySpace.Capacity ? $"--keys must be between 1 and {keySpace.Capacity:N0} for {settings.KeySize}-byte keys"
            : settings.Distribution == KeyDistribution.Zipfian && settings.Keys is < 2 or > ZipfianChooser.MaxCount
                ? $"a zipfian load needs --keys between 2 and {ZipfianChooser.MaxCount:N0}"
            : settings.Workload.Transactional && settings.Keys < 2 ? "--workload txn moves money between two accounts: --keys must be at least 2"
            : settings.Workload.Transactional && settings.ValueSize < TxnTransfers.BalanceBytes
                ? $"--workload txn keeps each account's balance in its value: --value-size must be at least {TxnTransfers.BalanceBytes}"
            : settings.Duration < TimeSpan.FromSeconds(1) ? "--duration must be at least 1s"
            : settings.Warmup < TimeSpan.Zero ? "--warmup must not be negative"
            : settings.Rate is <= 0 or > 10_000_000 ? "--rate must be between 0 and 10,000,000 operations per second"
            : parse.GetValue(Local) is < 0 or > 16 ? "--local must be between 1 and 16 stores"
            : null;
        if (error is not null)
        {
            throw new ArgumentException(error);
        }
        if (parse.GetValue(Chart) is { } chart)
        {
            SvgChart.ValidatePath(chart);
        }
        return settings;
    }
}
