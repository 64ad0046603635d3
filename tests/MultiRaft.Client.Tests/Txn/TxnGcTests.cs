using MultiRaft.Client.Txn;
using static MultiRaft.Client.Tests.ClusterOps;
using static MultiRaft.Client.Tests.Txn.TxnClusterTests;

namespace MultiRaft.Client.Tests.Txn;

/// <summary>MVCC garbage collection never takes a version a running transaction can still read, and drops
/// the rest once nothing can.</summary>
public sealed class TxnGcTests
{
    [Fact]
    public async Task Gc_waits_for_running_transactions_then_drops_old_versions()
    {
        await using var cluster = await StartSplitClusterAsync();
        await using var client = NewTxnClient(cluster);
        await using var pd = new Transport.Rpc.PdClient([cluster.Pd.Endpoint]);
        await CommitAsync(client, ("k", "v1"), ("p", "v1"));
        var old = await client.BeginAsync();
        await CommitAsync(client, ("k", "v2"));
        await CommitAsync(client, ("k", "v3"), ("p", "v3"));

        var pinned = await client.GcAsync(await pd.TsoAsync());
        Assert.True(pinned.SafePoint <= old.StartTs, $"safe point {pinned.SafePoint} passed the running transaction at {old.StartTs}");
        Assert.Equal(B("v1"), await old.GetAsync(B("k")));
        Assert.Equal(B("v1"), await old.GetAsync(B("p")));

        await old.DisposeAsync();
        var freed = await client.GcAsync(await pd.TsoAsync());
        Assert.True(freed.SafePoint > old.StartTs);
        Assert.True(freed.VersionsDeleted >= 3, $"only {freed.VersionsDeleted} versions dropped"); // k: v1, v2; p: v1.
        Assert.Equal(4, freed.Regions);

        await using var reader = await client.BeginAsync();
        Assert.Equal(B("v3"), await reader.GetAsync(B("k")));
        Assert.Equal(B("v3"), await reader.GetAsync(B("p")));
        await Assert.ThrowsAsync<TxnConflictException>(() => client.GetAsync(B("k"), old.StartTs, default));
    }
}
