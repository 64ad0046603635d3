using System.Buffers.Binary;
using System.Diagnostics;
using MultiRaft.Client.Txn;
using MultiRaft.Protocol.Kv;

namespace MultiRaft.Cli.Bench;

/// <summary>
/// The <c>txn</c> workload's requests: accounts opened by transactions, and transfers that read two accounts
/// and write both back in one transaction. An account's value starts with its balance (8 bytes, little-endian)
/// and keeps the rest of the loaded bytes, so every write has the workload's value size.
/// </summary>
internal sealed class TxnTransfers(TxnClient client)
{
    /// <summary>The bytes a value needs for its balance.</summary>
    public const int BalanceBytes = sizeof(long);

    private const long OpeningBalance = 1_000_000;

    /// <summary>Writes one batch of accounts in one transaction (transactional keys are a key space of their
    /// own: a raw batch put would write keys that transactions never see).</summary>
    public async Task OpenAsync(KvEntry[] accounts, CancellationToken cancellation)
    {
        await using var txn = await client.BeginAsync(cancellation).ConfigureAwait(false);
        foreach (var account in accounts)
        {
            txn.Put(account.Key, WithBalance(account.Value, OpeningBalance));
        }
        await txn.CommitAsync(cancellation).ConfigureAwait(false);
    }

    /// <summary>
    /// Moves <paramref name="amount"/> from one account to the other; false when an account is missing (the
    /// load wrote it: a lost write). Records the commit phase's latency; a conflict surfaces as
    /// <see cref="TxnConflictException"/> and is the caller's to count.
    /// </summary>
    public async Task<bool> TransferAsync(byte[] from, byte[] to, long amount, BenchMetrics metrics, CancellationToken cancellation)
    {
        await using var txn = await client.BeginAsync(cancellation).ConfigureAwait(false);
        var accounts = await txn.BatchGetAsync([from, to], cancellation).ConfigureAwait(false);
        if (accounts.Count < 2)
        {
            return false;
        }
        // Found pairs come in request order: from, then to.
        txn.Put(from, WithBalance(accounts[0].Value, Balance(accounts[0].Value) - amount));
        txn.Put(to, WithBalance(accounts[1].Value, Balance(accounts[1].Value) + amount));
        var committing = Stopwatch.GetTimestamp();
        await txn.CommitAsync(cancellation).ConfigureAwait(false);
        metrics.Record(BenchOperation.Commit, committing);
        return true;
    }

    private static long Balance(byte[] account) => BinaryPrimitives.ReadInt64LittleEndian(account);

    private static byte[] WithBalance(byte[] account, long balance)
    {
        var updated = (byte[])account.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(updated, balance);
        return updated;
    }
}
