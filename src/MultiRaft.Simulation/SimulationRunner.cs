namespace MultiRaft.Simulation;

/// <summary>Runs a range of seeds in parallel; each seed is independent and deterministic.</summary>
public static class SimulationRunner
{
    public static SimulationResult[] RunSeeds(int start, int count, SimulationSettings? settings = null, int? parallelism = null)
    {
        var results = new SimulationResult[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = parallelism ?? Environment.ProcessorCount }, i =>
        {
            results[i] = Simulator.Run(start + i, settings);
        });
        return results;
    }
}
