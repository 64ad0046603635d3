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

    [Fact]
    public async Task A_local_cluster_starts_and_serves_with_a_thread_pool_of_two_threads()
    {
        // FASTER completes log writes on pool threads, so no pool thread may block waiting for one: the stores'
        // bootstrap and FASTER's commit metadata writes once did, and with the pool held at two threads the
        // cluster never elected a leader.
        var run = await Cli.RunAsync(TimeSpan.FromSeconds(90), new Dictionary<string, string> { ["DOTNET_ThreadPool_ForceMaxWorkerThreads"] = "2" },
            "bench", "--local", "3", "--workload", "write", "--clients", "8", "--duration", "2s", "--warmup", "1s");

        Assert.True(run.ExitCode == 0, run.Error + run.Out);
        Assert.Matches(@"write: [1-9][0-9,]* ops/s over .* errors 0", run.Out);
    }

    [Fact]
    public async Task A_short_txn_run_commits_transfers_and_counts_conflicts_apart()
    {
        var directory = Directory.CreateTempSubdirectory("multiraft-bench-test");
        try
        {
            var json = Path.Combine(directory.FullName, "txn.json");
            // 256 clients over 200 accounts: many transfers meet, so conflicts are sure to be counted.
            var run = await Cli.RunAsync("bench", "--local", "3", "--workload", "txn", "--duration", "3s", "--warmup", "1s", "--keys", "200", "--json", json);

            Assert.True(run.ExitCode == 0, run.Error);
            Assert.Contains("conflict rate", run.Out, StringComparison.Ordinal);
            using var result = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(json));
            var root = result.RootElement;
            Assert.Equal("txn", root.GetProperty("workload").GetString());
            Assert.True(root.GetProperty("opsPerSec").GetDouble() > 0);
            var operations = root.GetProperty("perOperation");
            var transfers = operations.GetProperty("transfer").GetProperty("ops").GetInt64();
            Assert.True(transfers > 0);
            Assert.True(operations.GetProperty("commit").GetProperty("ops").GetInt64() > 0);
            // The commit phase is reported beside the transfers, not counted as operations of its own.
            Assert.Equal(operations.GetProperty("transfer").GetProperty("opsPerSec").GetDouble(), root.GetProperty("opsPerSec").GetDouble());
            Assert.True(root.GetProperty("errorsByKind").GetProperty("TxnConflict").GetInt64() > 0);
            Assert.InRange(root.GetProperty("conflictRate").GetDouble(), 0.001, 0.999);
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
    public async Task A_txn_run_needs_room_for_a_balance_in_each_value() =>
        await Cli.FailsAsync(2, "--value-size must be at least 8", "bench", "--pd", "127.0.0.1:1", "--workload", "txn", "--value-size", "4");

    [Fact]
    public async Task An_unreachable_cluster_fails_with_a_message() =>
        await Cli.FailsAsync(1, "the benchmark could not run", "bench", "--pd", "127.0.0.1:1", "--duration", "1s");
}
