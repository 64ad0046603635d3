using MultiRaft.Raft;
using Xunit.Abstractions;

namespace MultiRaft.Simulation.Tests;

public class SimulatorTests(ITestOutputHelper output)
{
    /// <summary>The CI sweep: every scenario with 3 and 5 voters, every safety check after every step,
    /// liveness after healing. A failure prints each failing seed and the command that replays it.</summary>
    [Fact]
    public void Five_thousand_seeds_across_every_scenario_keep_every_invariant()
    {
        var results = SimulationRunner.RunSeeds(1, 5000);
        var failures = results.Where(r => !r.Passed).ToList();
        foreach (var failure in failures)
        {
            output.WriteLine($"{failure}\n  replay: dotnet run -c Release --project tools/MultiRaft.Cli -- sim --seeds 1 --start {failure.Seed}");
        }
        Assert.Empty(failures);
        // Every scenario and both group sizes ran, and the runs did real work.
        Assert.Equal(Scenario.All.Count * 2, results.Select(r => (r.Scenario, r.Nodes)).Distinct().Count());
        Assert.All(results.GroupBy(r => r.Scenario), g => Assert.True(g.Sum(r => r.AcknowledgedWrites) > 1000, $"{g.Key} acknowledged too few writes"));
        Assert.True(results.Sum(r => r.ReadsServed) > 10_000);
    }

    [Fact]
    public void The_same_seed_replays_exactly()
    {
        var settings = new SimulationSettings { Trace = true, TraceLimit = 100_000 };
        var first = Simulator.Run(4242, settings);
        var second = Simulator.Run(4242, settings);
        Assert.True(first.Trace.Count > 1000);
        Assert.Equal(first.Trace, second.Trace);
        Assert.Equal(first.AcknowledgedWrites, second.AcknowledgedWrites);
    }

    [Fact]
    public void Different_seeds_produce_different_schedules()
    {
        var settings = new SimulationSettings { Trace = true, TraceLimit = 100_000, Scenario = Scenario.ByName("mixed") };
        Assert.NotEqual(Simulator.Run(1, settings).Trace, Simulator.Run(2, settings).Trace);
    }

    /// <summary>The checker is only worth something if it can fail: a host that sends its acknowledgements
    /// before they are durable, and crashes in between, must be caught losing committed entries.</summary>
    [Fact]
    public void Checker_catches_a_host_that_acknowledges_before_persisting()
    {
        var crashy = Scenario.ByName("crashes") with { Name = "crash-mid-write", CrashMidReadyRate = 0.05, CrashRate = 0.05 };
        var unsafeHost = new SimulationSettings { Scenario = crashy, UnsafeSendBeforePersist = true };
        AssertCaughtOnlyWhenBroken(unsafeHost, unsafeHost with { UnsafeSendBeforePersist = false }, seeds: 300);
    }

    /// <summary>The pauses scenario has teeth: a host that resumes a sleeping leader without telling it lets the
    /// leader serve reads under a lease that the pause should have ended, and the checker sees them stale.</summary>
    [Fact]
    public void Checker_catches_a_host_that_resumes_a_paused_leader_without_telling_it()
    {
        var unsafeHost = new SimulationSettings { Scenario = Scenario.ByName("pauses"), UnsafeResumeWithoutNotice = true };
        AssertCaughtOnlyWhenBroken(unsafeHost, unsafeHost with { UnsafeResumeWithoutNotice = false }, seeds: 600);
    }

    private void AssertCaughtOnlyWhenBroken(SimulationSettings brokenHost, SimulationSettings correctHost, int seeds)
    {
        var brokenFailures = SimulationRunner.RunSeeds(1, seeds, brokenHost).Count(r => !r.Passed);
        var correctFailures = SimulationRunner.RunSeeds(1, seeds, correctHost).Where(r => !r.Passed).ToList();

        foreach (var failure in correctFailures)
        {
            output.WriteLine(failure.ToString());
        }
        Assert.True(brokenFailures > 0, "the broken host was never caught");
        Assert.Empty(correctFailures);
    }
}
