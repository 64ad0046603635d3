using MultiRaft.Client.Txn;
using MultiRaft.Protocol.Txn;
using static MultiRaft.Client.Tests.ClusterOps;
using static MultiRaft.Client.Tests.Txn.TxnClusterTests;

namespace MultiRaft.Client.Tests.Txn;

/// <summary>A client that dies between the phases of a commit: whoever meets its locks later settles the
/// transaction through its primary, all or nothing.</summary>
public sealed class AbandonedTxnTests
{
    private static readonly string[] Keys = ["alpha", "hotel", "oscar", "victor"]; // One per region.

    [Fact]
    public async Task Killed_after_prewrite_the_transaction_is_rolled_back_once_its_locks_expire()
    {
        await using var cluster = await StartSplitClusterAsync();
        await using var dying = NewTxnClient(cluster, lockTtl: TimeSpan.FromMilliseconds(500));
        await using var survivor = NewTxnClient(cluster);
        var txn = await WriteAllAsync(dying);

        await txn.PrewriteAsync(default);

        await AssertSeenByOthersAsync(survivor, committed: false);
    }

    [Fact]
    public async Task Killed_after_the_primary_commit_the_transaction_is_committed_everywhere()
    {
        await using var cluster = await StartSplitClusterAsync();
        await using var dying = NewTxnClient(cluster, lockTtl: TimeSpan.FromMilliseconds(500));
        await using var survivor = NewTxnClient(cluster);
        var txn = await WriteAllAsync(dying);

        await txn.PrewriteAsync(default);
        await txn.CommitPrimaryAsync(default);

        await AssertSeenByOthersAsync(survivor, committed: true);
    }

    [Fact]
    public async Task Killed_after_some_secondaries_the_transaction_is_committed_everywhere()
    {
        await using var cluster = await StartSplitClusterAsync();
        await using var dying = NewTxnClient(cluster, lockTtl: TimeSpan.FromMilliseconds(500));
        await using var survivor = NewTxnClient(cluster);
        var txn = await WriteAllAsync(dying);

        await txn.PrewriteAsync(default);
        var commitTs = await txn.CommitPrimaryAsync(default);
        await txn.CommitSecondariesAsync(txn.SecondaryKeys().Take(1).ToList(), commitTs);

        await AssertSeenByOthersAsync(survivor, committed: true);
    }

    [Fact]
    public async Task A_writer_that_meets_an_expired_lock_resolves_it_and_commits()
    {
        await using var cluster = await StartSplitClusterAsync();
        await using var dying = NewTxnClient(cluster, lockTtl: TimeSpan.FromMilliseconds(300));
        await using var survivor = NewTxnClient(cluster);
        var txn = await WriteAllAsync(dying);
        await txn.PrewriteAsync(default);
        await Task.Delay(400);

        await CommitAsync(survivor, ("hotel", "survivor"));

        await using var reader = await survivor.BeginAsync();
        Assert.Equal(B("survivor"), await reader.GetAsync(B("hotel")));
        Assert.Null(await reader.GetAsync(B("alpha"))); // The dead transaction was rolled back, not half kept.
    }

    [Fact]
    public async Task A_resolver_settles_only_the_locks_it_met_and_one_settled_elsewhere_holds_none_back()
    {
        await using var cluster = await StartSplitClusterAsync();
        await using var dying = NewTxnClient(cluster);
        await using var survivor = NewTxnClient(cluster);
        var txn = await dying.BeginAsync();
        foreach (var key in new[] { "k1", "k2", "k3" }) // All in the region [g, n).
        {
            txn.Put(B(key), B("dead-client"));
        }
        await txn.PrewriteAsync(default);
        await txn.CommitPrimaryAsync(default); // Committed at k1; dead with k2 and k3 still locked.

        // k9 was never locked: its commit fails (no lock, no outcome), and with it the request it shared with k2.
        LockInfo[] met = [new(B("k2"), B("k1"), txn.StartTs, 3_000, TxnMutationKind.Put), new(B("k9"), B("k1"), txn.StartTs, 3_000, TxnMutationKind.Put)];
        Assert.True(await survivor.Resolver.ResolveAsync(met, default));

        Assert.Equal(["k3"], (await LocksInRegionOfAsync(survivor, "k")).Select(l => S(l.Key)));
        await using var reader = await survivor.BeginAsync();
        Assert.Equal(3, (await reader.BatchGetAsync([B("k1"), B("k2"), B("k3")])).Count);
    }

    /// <summary>Every lock left in the region holding <paramref name="key"/>.</summary>
    private static async Task<LockInfo[]> LocksInRegionOfAsync(TxnClient client, string key)
    {
        var now = await client.Tso.NextAsync(default);
        return await client.Raw.RunAsync(B(key), isWrite: false, async (store, region, context, token) =>
        {
            var reply = await client.Raw.CallAsync<ScanLockRequest, ScanLockResponse>(store, TxnMethods.ScanLock, new ScanLockRequest(context, now, [], 100), token);
            return (reply.Error, reply.Locks);
        }, default);
    }

    private static async Task<Transaction> WriteAllAsync(TxnClient client)
    {
        var txn = await client.BeginAsync();
        foreach (var key in Keys)
        {
            txn.Put(B(key), B("dead-client"));
        }
        return txn;
    }

    /// <summary>A later transaction reads every key: all of the dead client's writes, or none.</summary>
    private static async Task AssertSeenByOthersAsync(TxnClient client, bool committed)
    {
        await using var reader = await client.BeginAsync();
        var found = await reader.BatchGetAsync([.. Keys.Select(B)]);
        Assert.Equal(committed ? Keys.Length : 0, found.Count);
        Assert.All(found, p => Assert.Equal("dead-client", S(p.Value)));
        // Reading one key settled the whole transaction on its region only; scanning visits the others.
        Assert.Equal(committed ? Keys : [], (await reader.ScanAsync(B("a"), [], 100)).Select(p => S(p.Key)));
    }
}
