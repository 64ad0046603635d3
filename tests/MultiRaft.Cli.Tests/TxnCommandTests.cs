using System.Globalization;
using MultiRaft.Store.Tests;

namespace MultiRaft.Cli.Tests;

/// <summary>`multiraft txn` against an in-process cluster: put, get, delete and gc through real processes; bad
/// arguments fail with exit 2 and change nothing; an unreachable PD fails with exit 1.</summary>
[Collection(OneClusterAtATime.Name)]
public sealed class TxnCommandTests
{
    [Fact]
    public async Task Put_get_delete_and_gc_work_against_a_cluster()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.WaitForLeaderAsync();
        var pd = cluster.Pd.Endpoint.ToString();

        var put = await Cli.RunAsync("txn", "put", "apple=red", "pear=green", "empty=", "--pd", pd);
        Assert.True(put.ExitCode == 0, put.Error);
        var firstCommit = ulong.Parse(put.Out.Trim(), CultureInfo.InvariantCulture);
        var got = await Cli.RunAsync("txn", "get", "pear", "fig", "apple", "empty", "--pd", pd);
        Assert.Equal((0, "pear=green\nfig (absent)\napple=red\nempty="), (got.ExitCode, got.Out.Trim()));
        Assert.Equal(1, (await Cli.RunAsync("kv", "get", "apple", "--pd", pd)).ExitCode); // The raw key space is apart.

        var deleted = await Cli.RunAsync("txn", "delete", "apple", "plum", "--pd", pd);
        Assert.True(deleted.ExitCode == 0, deleted.Error);
        Assert.True(ulong.Parse(deleted.Out.Trim(), CultureInfo.InvariantCulture) > firstCommit);
        Assert.Equal("apple (absent)", (await Cli.RunAsync("txn", "get", "apple", "--pd", pd)).Out.Trim());

        var gc = await Cli.RunAsync("txn", "gc", "--pd", pd);
        Assert.True(gc.ExitCode == 0, gc.Error);
        Assert.Matches(@"^safe point \d+: 1 regions, 0 locks resolved, \d+ versions deleted$", gc.Out.Trim());
        Assert.Equal("pear=green", (await Cli.RunAsync("txn", "get", "pear", "--pd", pd)).Out.Trim());
    }

    [Fact]
    public async Task Bad_arguments_fail_with_exit_2_and_change_nothing()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.WaitForLeaderAsync();
        var pd = cluster.Pd.Endpoint.ToString();
        Assert.Equal(0, (await Cli.RunAsync("txn", "put", "k=old", "--pd", pd)).ExitCode);

        await Cli.FailsAsync(2, "'novalue' is not KEY=VALUE", "txn", "put", "k=new", "novalue", "--pd", pd);
        await Cli.FailsAsync(2, "key 'k' is given twice", "txn", "put", "k=new", "k=newer", "--pd", pd);
        await Cli.FailsAsync(2, "empty key", "txn", "put", "k=new", "=x", "--pd", pd);
        await Cli.FailsAsync(2, "must not be empty", "txn", "delete", "k", "", "--pd", pd);
        await Cli.FailsAsync(2, "over the", "txn", "put", "k=new", new string('x', 9000) + "=v", "--pd", pd);
        await Cli.FailsAsync(2, "--safe-point must be between 1 and PD's current time", "txn", "gc", "--safe-point", ulong.MaxValue.ToString(CultureInfo.InvariantCulture), "--pd", pd);
        await Cli.FailsAsync(2, "port", "txn", "get", "k", "--pd", "nowhere:port");
        Assert.NotEqual(0, (await Cli.RunAsync("txn", "get", "--pd", pd)).ExitCode); // No key: the parser refuses.
        Assert.Equal("k=old", (await Cli.RunAsync("txn", "get", "k", "--pd", pd)).Out.Trim());
    }

    [Fact]
    public async Task An_unreachable_pd_fails_with_exit_1() =>
        await Cli.FailsAsync(1, "unreachable", "txn", "get", "k", "--pd", "127.0.0.1:1");
}
