using MultiRaft.Client.Txn;
using MultiRaft.Protocol.Txn;
using MultiRaft.Store.Tests;
using static MultiRaft.Client.Tests.ClusterOps;

namespace MultiRaft.Client.Tests.Txn;

/// <summary>Transactions on a 3-store cluster whose keys span several regions: atomic commit, snapshot
/// reads, conflicts, and isolation from the raw key space.</summary>
public sealed class TxnClusterTests
{
    internal static readonly byte[][] SplitKeys = [B("g"), B("n"), B("t")];

    internal static async Task<TestCluster> StartSplitClusterAsync()
    {
        var cluster = await StartClusterAsync();
        try
        {
            await SplitAsync(cluster, B("a"), SplitKeys);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    internal static TxnClient NewTxnClient(TestCluster cluster, TimeSpan? lockTtl = null) =>
        new([cluster.Pd.Endpoint], new TxnClientOptions
        {
            Raw = new RawKvClientOptions { Timeout = TimeSpan.FromSeconds(20), RpcTimeout = TimeSpan.FromSeconds(5) },
            LockTtl = lockTtl ?? TimeSpan.FromSeconds(3),
            CommitSecondariesInBackground = false,
        });

    [Fact]
    public async Task A_committed_transaction_is_seen_whole_across_regions()
    {
        await using var cluster = await StartSplitClusterAsync();
        await using var client = NewTxnClient(cluster);

        await using (var writer = await client.BeginAsync())
        {
            writer.Put(B("apple"), B("1"));
            writer.Put(B("kiwi"), B("2"));
            writer.Put(B("pear"), B("3"));
            writer.Put(B("zucchini"), B("4"));
            Assert.Equal(B("2"), await writer.GetAsync(B("kiwi"))); // Its own write, before commit.
            Assert.True(await writer.CommitAsync() > writer.StartTs);
        }

        await using var reader = await client.BeginAsync();
        Assert.Equal(["apple=1", "kiwi=2", "pear=3", "zucchini=4"], (await reader.ScanAsync(B("a"), [], 100)).Select(p => $"{S(p.Key)}={S(p.Value)}"));
        Assert.Equal(["pear=3", "apple=1"], (await reader.BatchGetAsync([B("pear"), B("none"), B("apple")])).Select(p => $"{S(p.Key)}={S(p.Value)}"));
    }

    [Fact]
    public async Task A_reader_sees_the_snapshot_of_its_start_and_its_own_writes()
    {
        await using var cluster = await StartSplitClusterAsync();
        await using var client = NewTxnClient(cluster);
        await CommitAsync(client, ("b", "old"), ("h", "old"));

        await using var reader = await client.BeginAsync();
        await CommitAsync(client, ("b", "new"), ("h", "new"), ("c", "new"));

        Assert.Equal(B("old"), await reader.GetAsync(B("b")));
        Assert.Null(await reader.GetAsync(B("c")));
        reader.Delete(B("b"));
        reader.Put(B("d"), B("mine"));
        Assert.Equal(["d=mine", "h=old"], (await reader.ScanAsync(B("a"), B("m"), 10)).Select(p => $"{S(p.Key)}={S(p.Value)}"));

        await using var later = await client.BeginAsync();
        Assert.Equal(B("new"), await later.GetAsync(B("b")));
    }

    [Fact]
    public async Task The_second_of_two_conflicting_transactions_fails_and_leaves_nothing()
    {
        await using var cluster = await StartSplitClusterAsync();
        await using var client = NewTxnClient(cluster);

        await using var first = await client.BeginAsync();
        await using var second = await client.BeginAsync();
        first.Put(B("shared"), B("first"));
        second.Put(B("shared"), B("second"));
        second.Put(B("b-only-second"), B("x"));
        await first.CommitAsync();

        await Assert.ThrowsAsync<TxnConflictException>(() => second.CommitAsync());
        // Its lock on the other region (primary, "b-only-second" sorts first) is released at once, not at
        // the end of its 3 s TTL: the primary reads as rolled back well before then.
        var released = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while ((await client.Resolver.CheckStatusAsync(B("b-only-second"), second.StartTs, default)).Status != TxnStatusKind.RolledBack)
        {
            Assert.True(DateTime.UtcNow < released, "the failed transaction's lock was not rolled back within 2 s");
            await Task.Delay(50);
        }
        await using var reader = await client.BeginAsync();
        Assert.Equal(B("first"), await reader.GetAsync(B("shared")));
        Assert.Null(await reader.GetAsync(B("b-only-second")));
    }

    [Fact]
    public async Task Raw_and_transactional_keys_never_see_each_other()
    {
        await using var cluster = await StartSplitClusterAsync();
        await using var client = NewTxnClient(cluster);
        await using var raw = cluster.NewClient();

        await raw.PutAsync(B("k"), B("raw"));
        await CommitAsync(client, ("k", "txn"));

        Assert.Equal(B("raw"), await raw.GetAsync(B("k")));
        await using var reader = await client.BeginAsync();
        Assert.Equal(B("txn"), await reader.GetAsync(B("k")));
        Assert.Single(await raw.ScanAsync(B("a"), [], 10));
    }

    internal static async Task<ulong> CommitAsync(TxnClient client, params (string Key, string Value)[] writes)
    {
        await using var txn = await client.BeginAsync();
        foreach (var (key, value) in writes)
        {
            txn.Put(B(key), B(value));
        }
        return await txn.CommitAsync();
    }
}
