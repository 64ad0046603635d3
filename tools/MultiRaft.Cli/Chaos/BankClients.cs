using MultiRaft.Chaos;
using MultiRaft.Client;
using MultiRaft.Client.Txn;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Cli.Chaos;

/// <summary>
/// The bank workload's clients: workers that each run one transaction at a time and record it. A transfer
/// reads two balances and moves a random amount only if the source stays at 0 or above; a balances read takes
/// one snapshot of every account (by scan or by batch get). A transfer whose outcome is unknown ends its
/// process (the worker continues under a new process id, as in Jepsen).
/// </summary>
internal sealed class BankClients(TxnClient client, HistoryWriter history, BankAccounts accounts, Random seedSource)
{
    private const int MaxAmount = 25;
    private long _nextProcess;

    public Task RunAsync(int workers, CancellationToken cancellation)
    {
        // Seeds drawn here, one thread: Random is not thread-safe.
        var randoms = Enumerable.Range(0, workers).Select(_ => new Random(seedSource.Next())).ToList();
        return Task.WhenAll(randoms.Select(random => Task.Run(() => WorkerAsync(random, cancellation))));
    }

    private async Task WorkerAsync(Random random, CancellationToken cancellation)
    {
        var process = Interlocked.Increment(ref _nextProcess);
        while (!cancellation.IsCancellationRequested)
        {
            if (random.Next(10) >= 6)
            {
                await ReadAsync(process, scan: random.Next(2) == 0).ConfigureAwait(false);
            }
            else if (await TransferAsync(process, random).ConfigureAwait(false))
            {
                process = Interlocked.Increment(ref _nextProcess);
            }
        }
    }

    /// <summary>Returns true when the outcome is unknown.</summary>
    private async Task<bool> TransferAsync(long process, Random random)
    {
        var names = accounts.Names;
        var from = random.Next(names.Count);
        var to = (from + 1 + random.Next(names.Count - 1)) % names.Count;
        var transfer = new BankTransfer(names[from], names[to], random.Next(1, MaxAmount + 1));
        history.Record(HistoryEvent.OfTransfer(process, EventType.Invoke, transfer));
        try
        {
            var committed = await TryTransferAsync(transfer).ConfigureAwait(false);
            history.Record(HistoryEvent.OfTransfer(process, committed ? EventType.Ok : EventType.Fail, transfer));
            return false;
        }
        catch (Exception e) when (CommittedNothing(e))
        {
            history.Record(HistoryEvent.OfTransfer(process, EventType.Fail, transfer));
            return false;
        }
        catch (UnknownOutcomeException)
        {
            history.Record(HistoryEvent.OfTransfer(process, EventType.Info, transfer));
            return true;
        }
    }

    /// <summary>True when committed; false when the source holds too little (or an account is missing, which the
    /// balances reads report): then nothing was written.</summary>
    private async Task<bool> TryTransferAsync(BankTransfer transfer)
    {
        await using var txn = await client.BeginAsync().ConfigureAwait(false);
        var found = await txn.BatchGetAsync([BankAccounts.Key(transfer.From), BankAccounts.Key(transfer.To)]).ConfigureAwait(false);
        var balances = found.ToDictionary(p => System.Text.Encoding.UTF8.GetString(p.Key), p => BankAccounts.Decode(p.Value), StringComparer.Ordinal);
        if (!balances.TryGetValue(transfer.From, out var source) || !balances.TryGetValue(transfer.To, out var target) || source < transfer.Amount)
        {
            return false;
        }
        txn.Put(BankAccounts.Key(transfer.From), BankAccounts.Encode(source - transfer.Amount));
        txn.Put(BankAccounts.Key(transfer.To), BankAccounts.Encode(target + transfer.Amount));
        await txn.CommitAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>Failures that prove a transaction committed nothing: a conflict, or the cluster (stores or PD)
    /// not answering before the primary's commit was sent — the client turns a failure after sending it into
    /// <see cref="UnknownOutcomeException"/>, and calls PD only before.</summary>
    public static bool CommittedNothing(Exception e) =>
        e is TxnConflictException or ClusterUnavailableException or KvTimeoutException or RpcConnectionException or RpcTimeoutException;

    private async Task ReadAsync(long process, bool scan)
    {
        history.Record(HistoryEvent.OfBalances(process, EventType.Invoke, null));
        try
        {
            await using var txn = await client.BeginAsync().ConfigureAwait(false);
            var seen = await accounts.ReadAllAsync(txn, scan).ConfigureAwait(false);
            history.Record(HistoryEvent.OfBalances(process, EventType.Ok, seen));
        }
        catch (Exception e) when (CommittedNothing(e))
        {
            history.Record(HistoryEvent.OfBalances(process, EventType.Fail, null)); // A read that returned nothing observed nothing.
        }
    }
}
