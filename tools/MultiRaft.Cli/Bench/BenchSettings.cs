namespace MultiRaft.Cli.Bench;

/// <summary>How keys are chosen from the key space.</summary>
internal enum KeyDistribution
{
    Uniform,
    Zipfian,
}

/// <summary>One benchmark run: the load's shape, its length, and where its results go.</summary>
internal sealed record BenchSettings
{
    public required BenchWorkload Workload { get; init; }

    /// <summary>Requests in flight at once (each client issues its next request when the last one ends).</summary>
    public int Clients { get; init; } = 256;

    public int KeySize { get; init; } = 16;

    public int ValueSize { get; init; } = 100;

    /// <summary>How many distinct keys the load touches (and the read workloads load first).</summary>
    public long Keys { get; init; } = 100_000;

    public KeyDistribution Distribution { get; init; } = KeyDistribution.Uniform;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Run this long before measuring (connections, routing caches, JIT); not counted.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Operations per second to issue at most (null: as fast as the clients go).</summary>
    public double? Rate { get; init; }

    /// <summary>Seeds key and operation choice, so two runs issue the same requests.</summary>
    public int Seed { get; init; } = 1;
}
