using System.Xml.Linq;

namespace MultiRaft.Cli.Tests;

/// <summary><c>multiraft bench</c> as a user runs it: a short run on a local cluster that it starts itself, its
/// JSON and chart, and refusals of bad arguments before anything starts.</summary>
[Collection(OneClusterAtATime.Name)]
public sealed class BenchCommandTests
{
    [Fact]
    public async Task A_short_ycsb_a_run_on_a_local_cluster_reports_both_operations_a_timeline_and_a_chart()
    {
        var directory = Directory.CreateTempSubdirectory("multiraft-bench-test");
        try
        {
            var json = Path.Combine(directory.FullName, "run.json");
            var chart = Path.Combine(directory.FullName, "run.svg");
            var run = await Cli.RunAsync("bench", "--local", "3", "--workload", "ycsb-a", "--clients", "16", "--keys", "2000",
                "--duration", "3s", "--warmup", "1s", "--distribution", "zipfian", "--json", json, "--chart", chart);

            Assert.True(run.ExitCode == 0, run.Error);
            Assert.Contains("ops/s", run.Out, StringComparison.Ordinal);
            using var result = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(json));
            var root = result.RootElement;
            Assert.Equal("ycsb-a", root.GetProperty("workload").GetString());
            Assert.Equal(16, root.GetProperty("clients").GetInt32());
            Assert.Equal(0, root.GetProperty("errors").GetInt64());
            Assert.True(root.GetProperty("opsPerSec").GetDouble() > 0);
            Assert.True(root.GetProperty("p99Ms").GetDouble() >= root.GetProperty("p50Ms").GetDouble());
            Assert.True(root.GetProperty("p999Ms").GetDouble() >= root.GetProperty("p99Ms").GetDouble());
            var operations = root.GetProperty("perOperation");
            Assert.True(operations.GetProperty("read").GetProperty("ops").GetInt64() > 0);
            Assert.True(operations.GetProperty("update").GetProperty("ops").GetInt64() > 0);
            Assert.InRange(root.GetProperty("timeline").GetArrayLength(), 2, 4);
            Assert.Equal("zipfian", root.GetProperty("distribution").GetString());
            var svg = XDocument.Load(chart);
            Assert.Equal(2, svg.Descendants().Count(e => e.Name.LocalName == "polyline"));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("--workload", "nope", "--workload must be one of")]
    [InlineData("--distribution", "zipf", "--distribution must be uniform or zipfian")]
    [InlineData("--chart", "out.png", "--chart writes SVG")]
    [InlineData("--duration", "soon", "--duration must be a duration")]
    [InlineData("--clients", "0", "--clients must be between")]
    [InlineData("--rate", "0", "--rate must be between")]
    [InlineData("--keys", "5000", "--keys must be between 1 and 4,096")]
    public async Task Bad_arguments_are_refused_before_anything_starts(string option, string value, string says)
    {
        var arguments = new List<string> { "bench", "--pd", "127.0.0.1:1", option, value };
        if (option == "--keys")
        {
            arguments.AddRange(["--key-size", "4"]);
        }
        await Cli.FailsAsync(2, says, [.. arguments]);
    }

    [Fact]
    public async Task An_unreachable_cluster_fails_with_a_message() =>
        await Cli.FailsAsync(1, "the benchmark could not run", "bench", "--pd", "127.0.0.1:1", "--duration", "1s");
}
