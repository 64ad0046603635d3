using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Cli.Bench;

/// <summary><c>multiraft bench</c>: end-to-end throughput and latency of a workload against a cluster, and
/// <c>bench scale-out</c>, the experiment that shows load spreading past one Raft leader.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var options = new BenchOptions();
        var command = new Command("bench", """
            Measure throughput and latency (HdrHistogram) of a workload against the cluster at --pd, or against a
            local cluster it starts with --local N. Prints ops/s and p99 every second, then ops/s and
            p50/p95/p99/p99.9 per operation and errors by kind.
            Example: multiraft bench --local 3 --workload write --clients 256 --duration 30s --json write.json --chart write.svg
            """);
        foreach (var option in options.All)
        {
            command.Options.Add(option);
        }
        command.SetAction((parse, cancellation) => GuardAsync(async () =>
        {
            var settings = options.Settings(parse);
            await using var target = await BenchTarget.OpenAsync(parse.GetValue(options.Pd)!, parse.GetValue(options.Local), Console.Error, cancellation).ConfigureAwait(false);
            var runner = new BenchRunner(settings, target, Console.Error);
            if (settings.Workload.ReadsExistingKeys)
            {
                await runner.LoadAsync(cancellation).ConfigureAwait(false);
            }
            var result = await runner.RunAsync(cancellation).ConfigureAwait(false);
            PrintSummary(result);
            WriteOutputs(parse.GetValue(options.Json), parse.GetValue(options.Chart), result, $"{result.Workload}: {result.Clients} clients", [], result);
        }));
        command.Subcommands.Add(ScaleOutCommand.Create());
        return command;
    }

    /// <summary>Runs a benchmark action: bad arguments exit 2, a cluster that cannot be reached or started exits 1,
    /// each with one line on stderr.</summary>
    public static async Task<int> GuardAsync(Func<Task> run)
    {
        try
        {
            await run().ConfigureAwait(false);
            return 0;
        }
        catch (ArgumentException e)
        {
            return CliDefaults.Fail(e.Message, 2);
        }
        catch (Exception e) when (e is Client.ClusterUnavailableException or Client.KvTimeoutException or RpcConnectionException or IOException
            or System.Net.Sockets.SocketException or OpsException)
        {
            return CliDefaults.Fail($"the benchmark could not run: {e.Message}");
        }
    }

    public static void PrintSummary(BenchResult result)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.Workload}: {result.OpsPerSec:N0} ops/s over {result.DurationSec:0.#} s, {result.Clients} clients; p50 {result.P50Ms:0.###} ms, "
            + $"p99 {result.P99Ms:0.###} ms; errors {result.Errors:N0}; GC pauses {result.GcPauseMs:N0} ms ({result.Gen2Collections} gen2)"));
        OpsCommands.Print(false, [.. result.PerOperation], ["OPERATION", "OPS", "OPS/S", "P50 MS", "P95 MS", "P99 MS", "P99.9 MS", "MAX MS", "ERRORS"],
            p => [p.Key, N(p.Value.Ops), N(p.Value.OpsPerSec), Ms(p.Value.P50Ms), Ms(p.Value.P95Ms), Ms(p.Value.P99Ms), Ms(p.Value.P999Ms), Ms(p.Value.MaxMs), N(p.Value.Errors)]);
        if (result.ErrorsByKind.Count > 0)
        {
            Console.WriteLine("errors: " + string.Join(", ", result.ErrorsByKind.Select(e => $"{e.Key} {e.Value:N0}")));
        }
        if (result.ConflictRate is { } conflicts)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"conflict rate: {conflicts:0.##%} of the transactions tried (not retried)"));
        }
    }

    /// <summary>Writes <c>--json</c> (any result object) and <c>--chart</c> (the timeline, with events marked).</summary>
    public static void WriteOutputs(string? json, string? chart, object result, string title, IReadOnlyList<ChartEvent> events, BenchResult timelineOf)
    {
        if (json is not null)
        {
            File.WriteAllText(json, JsonSerializer.Serialize(result, PdHttp.Json));
            Console.WriteLine($"results written to {json}");
        }
        if (chart is not null)
        {
            SvgChart.Write(chart, title, timelineOf.Timeline, events);
            Console.WriteLine($"chart written to {chart}");
        }
    }

    private static string N(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Ms(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
