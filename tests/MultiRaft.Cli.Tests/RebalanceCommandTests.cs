using System.Text.Json;
using static MultiRaft.Cli.Tests.Cli;

namespace MultiRaft.Cli.Tests;

/// <summary><c>rebalance</c> against an in-process cluster whose fourth store holds nothing: the dry run shows
/// the moves and starts none, the real run carries them out and reports balanced counts.</summary>
[Collection(OneClusterAtATime.Name)]
public sealed class RebalanceCommandTests
{
    [Fact]
    public async Task Rebalance_shows_then_runs_the_moves_that_even_out_the_stores()
    {
        // Balancing switched off, so only the rebalance command balances (it runs the balancers even so).
        await using var cluster = await FourStores.StartAsync("balance-region", "balance-leader", "hot-region");
        var pd = cluster.Pd.Endpoint.ToString();
        var (region, _) = await cluster.WaitForLeaderAsync();
        var spare = FourStores.Spare(cluster, region);
        // Two regions on the same three stores: replicas 2/2/2/0, which balance-region evens out.
        Assert.Equal(0, (await RunAsync("split", "--region", Arg(region.Id), "--key", "m", "--pd", pd)).ExitCode);
        await UntilAsync(r => r.GetArrayLength() == 2 && r.EnumerateArray().All(x => x.GetProperty("leaderStoreId").ValueKind == JsonValueKind.Number),
            "two regions with leaders", "regions", "--pd", pd, "--json");

        var plan = await RunAsync("rebalance", "--dry-run", "--pd", pd, "--json");
        Assert.Equal(0, plan.ExitCode);
        Assert.False(plan.Json.GetProperty("balanced").GetBoolean());
        Assert.Contains(plan.Json.GetProperty("operators").EnumerateArray(), o => o.GetProperty("kind").GetString() == "MovePeer"
            && o.GetProperty("scheduler").GetString() == "balance-region" && o.GetProperty("steps")[0].GetString()!.EndsWith($"on store {spare}", StringComparison.Ordinal));
        Assert.Equal(0, CountOf(plan.Json.GetProperty("before"), spare, "replicas"));
        Assert.Equal(1, CountOf(plan.Json.GetProperty("after"), spare, "replicas"));
        var running = (await RunAsync("operators", "--pd", pd, "--json")).Json.GetProperty("running");
        Assert.DoesNotContain(running.EnumerateArray(), o => o.GetProperty("scheduler").GetString()!.StartsWith("balance-", StringComparison.Ordinal));
        var table = await RunAsync("rebalance", "--dry-run", "--pd", pd);
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("MovePeer", table.Out, StringComparison.Ordinal);
        Assert.Contains("dry run: nothing was started", table.Out, StringComparison.Ordinal);

        var run = await RunAsync("rebalance", "--timeout", "120", "--pd", pd, "--json");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.True(run.Json.GetProperty("balanced").GetBoolean());
        Assert.Contains(run.Json.GetProperty("operators").EnumerateArray(), o => o.GetProperty("kind").GetString() == "MovePeer"
            && o.GetProperty("state").GetString() == "Finished" && o.GetProperty("id").GetInt64() > 0);
        var after = run.Json.GetProperty("after");
        Assert.Equal(6, after.EnumerateArray().Sum(s => s.GetProperty("replicas").GetInt32()));
        Assert.True(Spread(after, "replicas") <= 1, after.ToString());
        Assert.True(Spread(after, "leaders") <= 1, after.ToString());
        Assert.Equal(0, CountOf(run.Json.GetProperty("before"), spare, "replicas"));
    }

    private static int CountOf(JsonElement counts, ulong store, string what) =>
        counts.EnumerateArray().Single(s => s.GetProperty("storeId").GetUInt64() == store).GetProperty(what).GetInt32();

    private static int Spread(JsonElement counts, string what) =>
        counts.EnumerateArray().Max(s => s.GetProperty(what).GetInt32()) - counts.EnumerateArray().Min(s => s.GetProperty(what).GetInt32());
}
