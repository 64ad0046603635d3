using System.Net;
using MultiRaft.Chaos;
using MultiRaft.Client;
using MultiRaft.Client.Txn;

namespace MultiRaft.Cli.Chaos;

/// <summary>
/// The bank workload: accounts opened in one transaction, spread over several regions, then concurrent
/// transfers and snapshot reads of every balance; checked by <see cref="BankChecker"/>, with a final snapshot
/// after the faults heal. A run in which no transfer committed proved nothing and fails.
/// </summary>
internal sealed class BankWorkload(IPEndPoint pd, int accountCount, Random seedSource) : IChaosWorkload
{
    /// <summary>Regions the accounts start in; the "ops" nemesis cuts them further.</summary>
    private const int AccountRegions = 4;

    /// <summary>The process that opens the accounts (the workers count from 1).</summary>
    private const long Opener = 0;

    private readonly BankAccounts _accounts = new(accountCount);

    // A transfer that lost a conflict leaves its locks for their time to live, and every reader of those
    // accounts waits them out: a third of the default TTL doubles the work a run gets done, and resolvers
    // roll back slow transfers more often, which is a path worth testing too.
    private readonly TxnClient _client = new([pd], new TxnClientOptions
    {
        Raw = new RawKvClientOptions { Timeout = TimeSpan.FromSeconds(5), RpcTimeout = TimeSpan.FromSeconds(2) },
        LockTtl = TimeSpan.FromSeconds(1),
    });

    public IReadOnlyList<string> PreSplitKeys => _accounts.SplitPoints(AccountRegions);

    public string SplitKey(Random random) => _accounts.Names[random.Next(_accounts.Names.Count)];

    public bool AimOpsAtKeys => true;

    /// <summary>Opens every account in one transaction, retried until it commits. An unknown outcome is settled
    /// by reading the accounts back (a snapshot taken after it sees all of them or none) before the load starts,
    /// so the history holds exactly one committed init.</summary>
    public async Task PrepareAsync(HistoryWriter history, CancellationToken cancellation)
    {
        var opening = _accounts.Opening();
        for (var attempt = 1; ; attempt++)
        {
            history.Record(HistoryEvent.OfInit(Opener, EventType.Invoke, opening));
            try
            {
                await using var txn = await _client.BeginAsync(cancellation).ConfigureAwait(false);
                foreach (var (name, balance) in opening)
                {
                    txn.Put(BankAccounts.Key(name), BankAccounts.Encode(balance));
                }
                await txn.CommitAsync(cancellation).ConfigureAwait(false);
                history.Record(HistoryEvent.OfInit(Opener, EventType.Ok, opening));
                return;
            }
            catch (Exception e) when (attempt < 12 && BankClients.CommittedNothing(e))
            {
                Console.WriteLine($"opening the accounts: {e.Message}; retrying");
            }
            catch (UnknownOutcomeException)
            {
                // Some accounts but not all would break atomicity: recorded as committed, the reads report it.
                if ((await SnapshotAsync(cancellation).ConfigureAwait(false)).Count > 0)
                {
                    history.Record(HistoryEvent.OfInit(Opener, EventType.Ok, opening));
                    return;
                }
            }
            history.Record(HistoryEvent.OfInit(Opener, EventType.Fail, opening));
        }
    }

    public Task RunAsync(HistoryWriter history, int workers, CancellationToken stop) =>
        new BankClients(_client, history, _accounts, seedSource).RunAsync(workers, stop);

    public async Task<ChaosVerdict> CheckAsync(IReadOnlyList<Operation> operations, CancellationToken cancellation)
    {
        var final = await SnapshotAsync(cancellation).ConfigureAwait(false);
        var result = BankChecker.Check(operations, final);
        var futile = result.TransfersCommitted == 0 ? "no transfer committed, so the run checked nothing" : null;
        return new ChaosVerdict(result.IsValid, result.Summary, result.Describe(), result.Counts, futile);
    }

    /// <summary>A snapshot of the account range, retried until the cluster answers.</summary>
    private async Task<Dictionary<string, long>> SnapshotAsync(CancellationToken cancellation)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var txn = await _client.BeginAsync(cancellation).ConfigureAwait(false);
                return await _accounts.ReadAllAsync(txn, scan: true, cancellation).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < 12 && BankClients.CommittedNothing(e))
            {
                Console.WriteLine($"reading the accounts: {e.Message}; retrying");
            }
        }
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
