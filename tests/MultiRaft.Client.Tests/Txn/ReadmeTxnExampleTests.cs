using MultiRaft.Client.Txn;
using MultiRaft.Protocol.Kv;
using static MultiRaft.Client.Tests.ClusterOps;

namespace MultiRaft.Client.Tests.Txn;

/// <summary>The usage example of the README's transactions section, run against a real cluster. Keep the two
/// in step: the body of <see cref="Example"/> is the README's snippet.</summary>
public sealed class ReadmeTxnExampleTests
{
    [Fact]
    public async Task The_readme_transaction_example_runs()
    {
        await using var cluster = await StartClusterAsync();
        await SplitAsync(cluster, B("a"), [B("acct/b")]); // alice and bob in different regions.

        var (balances, txns) = await Example(cluster.Pd.Endpoint.ToString());

        Assert.Equal(["acct/alice=100", "acct/bob=50"], balances.Select(p => $"{S(p.Key)}={S(p.Value)}"));
        await using var check = TxnClient.Create(cluster.Pd.Endpoint.ToString());
        await using var reader = await check.BeginAsync();
        Assert.Equal(["acct/alice=90", "acct/bob=60"], (await reader.ScanAsync(B("acct/"), B("acct0"), 10)).Select(p => $"{S(p.Key)}={S(p.Value)}"));
        Assert.True(txns > 0);
    }

    private static async Task<(IReadOnlyList<KvEntry>, int)> Example(string pdAddresses)
    {
        await using var txns = TxnClient.Create(pdAddresses);

        await using (var txn = await txns.BeginAsync())             // start_ts from PD
        {
            txn.Put("acct/alice"u8.ToArray(), "100"u8.ToArray());   // buffered until commit
            txn.Put("acct/bob"u8.ToArray(), "50"u8.ToArray());
            await txn.CommitAsync();                                // two-phase commit across regions; returns commit_ts
        }

        IReadOnlyList<KvEntry> seen;
        int attempts;
        for (var attempt = 1; ; attempt++)
        {
            await using var txn = await txns.BeginAsync();
            // The snapshot at start_ts: alice=100, bob=50.
            var balances = await txn.BatchGetAsync(["acct/alice"u8.ToArray(), "acct/bob"u8.ToArray()]);
            txn.Put("acct/alice"u8.ToArray(), "90"u8.ToArray());
            txn.Put("acct/bob"u8.ToArray(), "60"u8.ToArray());
            try
            {
                await txn.CommitAsync();
                (seen, attempts) = (balances, attempt);
                break;
            }
            catch (TxnConflictException) when (attempt < 10)
            {
                // Nothing was committed: another transaction wrote one of these keys after our start_ts. Retry.
            }
            // UnknownOutcomeException: the primary's commit was sent but not confirmed; read back before retrying.
        }

        return (seen, attempts);
    }
}
