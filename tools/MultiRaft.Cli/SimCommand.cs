using System.CommandLine;
using System.Diagnostics;
using MultiRaft.Simulation;

namespace MultiRaft.Cli;

/// <summary><c>multiraft sim</c>: the deterministic Raft fault simulator over a range of seeds.</summary>
internal static class SimCommand
{
    public static Command Create()
    {
        var seeds = new Option<int>("--seeds") { Description = "how many seeds to run", DefaultValueFactory = _ => 100 };
        var start = new Option<int>("--start") { Description = "first seed", DefaultValueFactory = _ => 1 };
        var scenario = new Option<string?>("--scenario")
        {
            Description = "run only this fault scenario: " + string.Join(", ", Scenario.All.Select(s => s.Name)),
        };
        var nodes = new Option<int?>("--nodes") { Description = "initial voters (default: 3 or 5, chosen by seed)" };
        var traceLines = new Option<int>("--trace-lines") { Description = "lines of trace to print for the first failing seed", DefaultValueFactory = _ => 120 };
        var command = new Command("sim", """
            Run the deterministic Raft simulator: a group of in-memory nodes under a seeded schedule of message
            loss, duplication, reordering, partitions, crash-restarts, membership changes, leader transfers and
            compactions, with every safety property checked after every step and liveness checked after healing.
            A failing seed prints its violation and a replayed trace; the same seed always replays exactly.
            Example: multiraft sim --seeds 500 --start 1
            """)
        {
            seeds, start, scenario, nodes, traceLines,
        };
        command.SetAction(parse =>
        {
            // Range checks live here rather than in option validators: those also run on values the parser
            // could not convert, which it already reports by itself.
            var name = parse.GetValue(scenario);
            var count = parse.GetValue(seeds);
            var first = parse.GetValue(start);
            var voters = parse.GetValue(nodes);
            var error = count <= 0 ? "--seeds must be a positive number"
                : first < 0 || (long)first + count > int.MaxValue ? "--start must be >= 0 and --start + --seeds must fit in a 32-bit seed"
                : voters is < 1 or > 9 ? "--nodes must be between 1 and 9"
                : name is not null && Scenario.All.All(s => s.Name != name) ? $"unknown scenario '{name}'; known: {string.Join(", ", Scenario.All.Select(s => s.Name))}"
                : null;
            if (error is not null)
            {
                Console.Error.WriteLine($"error: {error}");
                return 2;
            }
            var settings = new SimulationSettings
            {
                Scenario = name is null ? null : Scenario.ByName(name),
                Nodes = voters,
            };
            return Run(first, count, settings, Math.Max(0, parse.GetValue(traceLines)));
        });
        return command;
    }

    private static int Run(int start, int count, SimulationSettings settings, int traceLines)
    {
        var clock = Stopwatch.StartNew();
        var results = SimulationRunner.RunSeeds(start, count, settings);
        var failures = results.Where(r => !r.Passed).ToList();
        foreach (var group in results.GroupBy(r => (r.Scenario, r.Nodes)).OrderBy(g => g.Key.Scenario).ThenBy(g => g.Key.Nodes))
        {
            Console.WriteLine($"{group.Key.Scenario,-11} {group.Key.Nodes} nodes: {group.Count(),5} seeds, {group.Count(r => !r.Passed)} violations, " +
                $"{group.Sum(r => r.AcknowledgedWrites)} writes acknowledged, {group.Sum(r => r.ReadsServed)} reads checked");
        }
        foreach (var failure in failures)
        {
            Console.WriteLine(failure);
        }
        if (failures.Count > 0)
        {
            var first = failures[0];
            var replay = Simulator.Run(first.Seed, settings with { Trace = true, TraceLimit = traceLines });
            Console.WriteLine($"replay of seed {first.Seed} (last {replay.Trace.Count} events; reproduce with: multiraft sim --seeds 1 --start {first.Seed}" +
                (settings.Scenario is null ? "" : $" --scenario {settings.Scenario.Name}") + (settings.Nodes is null ? "" : $" --nodes {settings.Nodes}") + "):");
            foreach (var line in replay.Trace)
            {
                Console.WriteLine("  " + line);
            }
            Console.WriteLine(replay.Violation == first.Violation ? "replay: same violation" : $"replay: DIFFERENT outcome: {replay.Violation ?? "passed"}");
        }
        Console.WriteLine($"elapsed {clock.Elapsed.TotalSeconds:F1}s");
        Console.WriteLine($"{count} seeds, {failures.Count} violations");
        return failures.Count > 0 ? 1 : 0;
    }
}
