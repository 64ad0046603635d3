using System.Text.Json;
using static MultiRaft.Cli.Tests.Cli;

namespace MultiRaft.Cli.Tests;

/// <summary>The commands that ask PD for operators, <c>hot</c>, <c>regions --range</c> and <c>scheduler config</c>,
/// against one in-process cluster of four stores (so a replica has somewhere to go), asserting on their JSON.</summary>
[Collection(OneClusterAtATime.Name)]
public sealed class OperatorCommandTests
{
    [Fact]
    public async Task Peer_and_leader_operators_hot_regions_ranges_and_scheduler_settings_work_against_a_cluster()
    {
        // PD's own schedulers must not move what this test moves (nor remove the fourth replica it adds).
        await using var cluster = await FourStores.StartAsync("balance-region", "balance-leader", "hot-region", "replica-repair");
        var pd = cluster.Pd.Endpoint.ToString();
        var (region, leader) = await cluster.WaitForLeaderAsync();
        var id = Arg(region.Id);
        var spare = FourStores.Spare(cluster, region);
        var follower = region.Peers.First(p => p.StoreId != leader.StoreId).StoreId;

        var transfer = await RunAsync("transfer-leader", "--region", id, "--to", Arg(follower), "--pd", pd, "--json");
        Assert.Equal(0, transfer.ExitCode);
        Assert.True(transfer.Json.GetProperty("operatorId").GetInt64() > 0);
        await UntilAsync(r => LeaderOf(r[0]) == follower, $"store {follower} leading", "region", id, "--pd", pd, "--json");
        await FailsAsync(1, $"no peer on store {spare}", "transfer-leader", "--region", id, "--to", Arg(spare), "--pd", pd);

        Assert.Equal(0, (await RunAsync("add-peer", "--region", id, "--store", Arg(spare), "--pd", pd, "--json")).ExitCode);
        await UntilAsync(r => Voters(r[0]).Contains(spare), $"a voter on store {spare}", "region", id, "--pd", pd, "--json");
        await FailsAsync(1, "already holds", "add-peer", "--region", id, "--store", Arg(spare), "--pd", pd);
        Assert.Equal(0, (await RunAsync("remove-peer", "--region", id, "--store", Arg(spare), "--pd", pd, "--json")).ExitCode);
        await UntilAsync(r => !Stores(r[0]).Contains(spare), $"no replica on store {spare}", "region", id, "--pd", pd, "--json");
        // The old leader, now a follower, hands its replica to the spare store.
        Assert.Equal(0, (await RunAsync("move-peer", "--region", id, "--from", Arg(leader.StoreId), "--to", Arg(spare), "--pd", pd, "--json")).ExitCode);
        await UntilAsync(r => Voters(r[0]).Contains(spare) && !Stores(r[0]).Contains(leader.StoreId), $"the replica moved from {leader.StoreId} to {spare}",
            "region", id, "--pd", pd, "--json");
        await FailsAsync(1, "no region 424242", "remove-peer", "--region", "424242", "--store", Arg(spare), "--pd", pd);
        // An operator ends on the heartbeat that shows its last step, just after PD recorded the region.
        var operators = await UntilAsync(r => Requested(r).Length == 4, "four requested operators ended", "operators", "--pd", pd, "--json");
        Assert.Equal(["TransferLeader", "RepairReplica", "RemoveReplica", "MovePeer"], Requested(operators.Json));

        await using (var client = cluster.NewClient())
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            Result hot;
            while ((hot = await RunAsync("hot", "--pd", pd, "--json")).Json.GetArrayLength() == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "no region ever showed up in `hot`");
                for (var i = 0; i < 20; i++)
                {
                    await client.PutAsync(System.Text.Encoding.UTF8.GetBytes($"hot{i}"), new byte[1024]);
                }
            }
            Assert.True(hot.Json[0].GetProperty("writeBytesPerSec").GetInt64() > 0);
        }

        var changed = await RunAsync("scheduler", "config", "balance-leader", "tolerance", "3", "--pd", pd, "--json");
        Assert.Equal(0, changed.ExitCode);
        Assert.Equal(3, changed.Json.GetProperty("config").GetProperty("tolerance").GetInt32());
        await FailsAsync(1, "refused tolerance = 1", "scheduler", "config", "balance-leader", "tolerance", "1", "--pd", pd);
        await FailsAsync(1, "not a valid value", "scheduler", "config", "balance-leader", "tolerance", "lots", "--pd", pd);
        await FailsAsync(1, "no setting 'patience'", "scheduler", "config", "balance-leader", "patience", "3", "--pd", pd);
        await FailsAsync(1, "no scheduler 'no-such'", "scheduler", "config", "no-such", "tolerance", "3", "--pd", pd);
        var schedulers = await RunAsync("scheduler", "list", "--pd", pd, "--json");
        var balanceLeader = schedulers.Json.EnumerateArray().Single(s => s.GetProperty("name").GetString() == "balance-leader");
        Assert.Equal(3, balanceLeader.GetProperty("config").GetProperty("tolerance").GetInt32()); // The refused values changed nothing.
        var table = await RunAsync("scheduler", "list", "--pd", pd);
        Assert.Contains(table.Out.Split('\n'), line => line.Contains("balance-leader", StringComparison.Ordinal) && line.Contains("tolerance=3", StringComparison.Ordinal));

        // The schedulers (hot-region, balance-leader) may have an operator of their own running on the region
        // after the load above: PD refuses a second one until it ends.
        var splitDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        Result split;
        while ((split = await RunAsync("split", "--region", id, "--key", "m", "--pd", pd)).ExitCode != 0 && split.Error.Contains("already runs", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < splitDeadline, $"the region stayed busy: {split.Error}");
            await Task.Delay(250);
        }
        Assert.True(split.ExitCode == 0, split.Error);
        await UntilAsync(r => r.GetArrayLength() == 2, "two regions", "regions", "--pd", pd, "--json");
        Assert.Equal([""], StartKeys(await RunAsync("regions", "--range", "a", "c", "--pd", pd, "--json")));
        Assert.Equal(["m"], StartKeys(await RunAsync("regions", "--range", "n", "", "--pd", pd, "--json")));
        Assert.Equal(["", "m"], StartKeys(await RunAsync("regions", "--range", "a", "z", "--pd", pd, "--json")));
        Assert.Equal(["m"], StartKeys(await RunAsync("regions", "--range", "m", "z", "--pd", pd, "--json"))); // [start, end): "m" is not in the left region.
        await FailsAsync(1, "must sort before", "regions", "--range", "m", "a", "--pd", pd);
    }

    private static string[] Requested(JsonElement operators) =>
        [.. operators.GetProperty("history").EnumerateArray().Where(o => o.GetProperty("scheduler").GetString() == "api").Select(o => o.GetProperty("kind").GetString()!)];

    private static ulong? LeaderOf(JsonElement region) =>
        region.GetProperty("leaderStoreId") is { ValueKind: JsonValueKind.Number } leader ? leader.GetUInt64() : null;

    private static ulong[] Stores(JsonElement region) => [.. region.GetProperty("peers").EnumerateArray().Select(p => p.GetProperty("storeId").GetUInt64())];

    private static ulong[] Voters(JsonElement region) =>
        [.. region.GetProperty("peers").EnumerateArray().Where(p => p.GetProperty("role").GetString() == "voter").Select(p => p.GetProperty("storeId").GetUInt64())];

    private static string[] StartKeys(Result regions)
    {
        Assert.Equal(0, regions.ExitCode);
        return [.. regions.Json.EnumerateArray().Select(r => r.GetProperty("startKey").GetString()!)];
    }
}
