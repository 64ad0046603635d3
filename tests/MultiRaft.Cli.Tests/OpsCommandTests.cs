using MultiRaft.Store.Tests;

namespace MultiRaft.Cli.Tests;

/// <summary>The ops commands against an in-process cluster (real PD with its HTTP API and schedulers, real
/// stores), asserting on their JSON; bad arguments and an unreachable PD give a message and a non-zero exit.</summary>
[Collection(OneClusterAtATime.Name)]
public sealed class OpsCommandTests
{
    [Fact]
    public async Task Stores_regions_split_and_kv_work_against_a_cluster()
    {
        await using var cluster = await TestCluster.StartAsync(withPdScheduling: true);
        var (region, _) = await cluster.WaitForLeaderAsync();
        var pd = cluster.Pd.Endpoint.ToString();

        var stores = await Cli.RunAsync("stores", "--pd", pd, "--json");
        Assert.Equal(0, stores.ExitCode);
        Assert.Equal(3, stores.Json.GetArrayLength());
        Assert.All(stores.Json.EnumerateArray(), s => Assert.Equal("Up", s.GetProperty("state").GetString()));

        Assert.Equal(0, (await Cli.RunAsync("kv", "put", "apple", "red", "--pd", pd)).ExitCode);
        Assert.Equal(0, (await Cli.RunAsync("kv", "put", "zebra", "striped", "--pd", pd)).ExitCode);
        var got = await Cli.RunAsync("kv", "get", "apple", "--pd", pd);
        Assert.Equal(("red", 0), (got.Out.Trim(), got.ExitCode));
        Assert.Equal(0, (await Cli.RunAsync("kv", "put", "00ff", "0a0b", "--hex", "--pd", pd)).ExitCode);
        var binary = await Cli.RunAsync("kv", "get", "0x00FF", "--hex", "--pd", pd);
        Assert.Equal(("0A0B", 0), (binary.Out.Trim(), binary.ExitCode));
        var notHex = await Cli.RunAsync("kv", "get", "zz", "--hex", "--pd", pd);
        Assert.Equal(2, notHex.ExitCode);
        Assert.Contains("not hex", notHex.Error, StringComparison.Ordinal);
        var missing = await Cli.RunAsync("kv", "get", "pear", "--pd", pd);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("not found", missing.Error, StringComparison.Ordinal);

        var split = await Cli.RunAsync("split", "--region", region.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--key", "m", "--pd", pd, "--json");
        Assert.Equal(0, split.ExitCode);
        Assert.True(split.Json.GetProperty("operatorId").GetInt64() > 0);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        Cli.Result regions;
        while ((regions = await Cli.RunAsync("regions", "--pd", pd, "--json")).Json.GetArrayLength() < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the split never showed up in `regions`");
            await Task.Delay(200);
        }
        Assert.Equal(["", "m"], regions.Json.EnumerateArray().Select(r => r.GetProperty("startKey").GetString()));
        var right = await Cli.RunAsync("regions", "--key", "zebra", "--pd", pd, "--json");
        Assert.Equal("m", Assert.Single(right.Json.EnumerateArray()).GetProperty("startKey").GetString());
        Assert.Equal(0, (await Cli.RunAsync("kv", "delete", "00ff", "--hex", "--pd", pd)).ExitCode);
        var scan = await Cli.RunAsync("kv", "scan", "a", "", "--pd", pd);
        Assert.Equal(["apple\tred", "zebra\tstriped"], scan.Out.Trim().Split('\n'));

        var one = await Cli.RunAsync("region", region.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--pd", pd, "--json");
        Assert.Equal((long)region.Id, Assert.Single(one.Json.EnumerateArray()).GetProperty("id").GetInt64());
        var operators = await Cli.RunAsync("operators", "--pd", pd, "--json");
        Assert.Contains(operators.Json.GetProperty("history").EnumerateArray(), o => o.GetProperty("scheduler").GetString() == "api" && o.GetProperty("kind").GetString() == "Split");
        Assert.Equal(0, (await Cli.RunAsync("scheduler", "disable", "balance-leader", "--pd", pd)).ExitCode);
        var schedulers = await Cli.RunAsync("scheduler", "list", "--pd", pd, "--json");
        Assert.False(schedulers.Json.EnumerateArray().Single(x => x.GetProperty("name").GetString() == "balance-leader").GetProperty("enabled").GetBoolean());
        var unknown = await Cli.RunAsync("scheduler", "enable", "no-such", "--pd", pd);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no scheduler", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_arguments_and_an_unreachable_pd_fail_with_a_message()
    {
        var garbage = await Cli.RunAsync("regions", "--store", "not-a-number");
        Assert.NotEqual(0, garbage.ExitCode);
        Assert.False(string.IsNullOrWhiteSpace(garbage.Error));
        var badPd = await Cli.RunAsync("stores", "--pd", "nowhere:port");
        Assert.Equal(2, badPd.ExitCode);
        Assert.Contains("port", badPd.Error, StringComparison.OrdinalIgnoreCase);
        var unreachable = await Cli.RunAsync("stores", "--pd", "127.0.0.1:1");
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains("unreachable", unreachable.Error, StringComparison.Ordinal);
        var noRegion = await Cli.RunAsync("split", "--pd", "127.0.0.1:1");
        Assert.NotEqual(0, noRegion.ExitCode);
        await Cli.FailsAsync(1, "unreachable", "rebalance", "--pd", "127.0.0.1:1");
        await Cli.FailsAsync(1, "unreachable", "scheduler", "config", "balance-leader", "tolerance", "3", "--pd", "127.0.0.1:1");
        await Cli.FailsAsync(1, "unreachable", "hot", "--pd", "127.0.0.1:1");
        await Cli.FailsAsync(2, "--timeout must be a positive", "rebalance", "--timeout", "0", "--pd", "127.0.0.1:1");
        var missingValue = await Cli.RunAsync("scheduler", "config", "balance-leader", "tolerance");
        Assert.NotEqual(0, missingValue.ExitCode);
        Assert.Contains("Required argument missing", missingValue.Error, StringComparison.Ordinal);
        var halfRange = await Cli.RunAsync("regions", "--range", "a");
        Assert.NotEqual(0, halfRange.ExitCode);
        Assert.Contains("--range", halfRange.Error, StringComparison.Ordinal);
        var noStore = await Cli.RunAsync("move-peer", "--region", "2", "--from", "1");
        Assert.NotEqual(0, noStore.ExitCode);
        Assert.Contains("--to", noStore.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_command_s_help_has_an_example()
    {
        var missing = new List<string>();
        var pending = new Queue<string[]>(Subcommands((await Cli.RunAsync("--help")).Out).Select(c => new[] { c }));
        Assert.Contains(["rebalance"], pending);
        while (pending.TryDequeue(out var command))
        {
            var help = await Cli.RunAsync([.. command, "--help"]);
            if (!help.Out.Contains("Example: multiraft", StringComparison.Ordinal))
            {
                missing.Add(string.Join(' ', command));
            }
            foreach (var sub in Subcommands(help.Out))
            {
                pending.Enqueue([.. command, sub]);
            }
        }
        Assert.Empty(missing);
    }

    /// <summary>The names under "Commands:" in a help text.</summary>
    private static IEnumerable<string> Subcommands(string help) =>
        help.Split('\n').SkipWhile(l => !l.StartsWith("Commands:", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => l.Trim().Length > 0).Where(l => l.StartsWith("  ", StringComparison.Ordinal) && l[2] != ' ').Select(l => l.Trim().Split(' ')[0]);
}
