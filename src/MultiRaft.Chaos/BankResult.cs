using System.Globalization;
using System.Text;

namespace MultiRaft.Chaos;

/// <summary>One thing the bank check found wrong: a balances read (null: the final read) and what.</summary>
public sealed record BankAnomaly(Operation? Read, string What);

/// <summary>The outcome of <see cref="BankChecker.Check"/>. <see cref="Summary"/> is the run's last line, as for
/// the register workload: <c>ops N, anomalies A, lost L</c>; <see cref="Counts"/> says how much work the history
/// holds, so a run that did nothing useful shows.</summary>
public sealed class BankResult
{
    internal BankResult(IReadOnlyList<Operation> operations, int accounts, long total, IReadOnlyList<BankAnomaly> anomalies, IReadOnlyList<string> lost)
    {
        Operations = operations.Count;
        Accounts = accounts;
        Total = total;
        Anomalies = anomalies;
        Lost = lost;
        TransfersCommitted = Count(operations, OpKind.Transfer, OpStatus.Ok);
        TransfersFailed = Count(operations, OpKind.Transfer, OpStatus.Fail);
        TransfersUnknown = Count(operations, OpKind.Transfer, OpStatus.Info);
        ReadsOk = Count(operations, OpKind.Balances, OpStatus.Ok);
        ReadsFailed = operations.Count(o => o.F == OpKind.Balances) - ReadsOk;
    }

    public int Operations { get; }

    /// <summary>Accounts opened by the init, and the money they hold together.</summary>
    public int Accounts { get; }

    public long Total { get; }

    public IReadOnlyList<BankAnomaly> Anomalies { get; }

    /// <summary>What the final read lost: each missing account, or the money when no account is missing.</summary>
    public IReadOnlyList<string> Lost { get; }

    public int TransfersCommitted { get; }

    /// <summary>Transfers that certainly changed nothing: conflicts, errors before the commit, too little money.</summary>
    public int TransfersFailed { get; }

    /// <summary>Transfers whose commit was sent but never confirmed.</summary>
    public int TransfersUnknown { get; }

    public int ReadsOk { get; }

    public int ReadsFailed { get; }

    public bool IsValid => Anomalies.Count == 0 && Lost.Count == 0;

    public string Summary => string.Create(CultureInfo.InvariantCulture, $"ops {Operations}, anomalies {Anomalies.Count}, lost {Lost.Count}");

    public string Counts => string.Create(CultureInfo.InvariantCulture,
        $"transfers: {TransfersCommitted} committed, {TransfersFailed} failed, {TransfersUnknown} indeterminate; balances reads: {ReadsOk} ok, {ReadsFailed} failed; {Accounts} accounts holding {Total}");

    /// <summary>Every anomaly (read times in ms from <paramref name="origin"/>) and loss, <see cref="Counts"/>,
    /// then <see cref="Summary"/>.</summary>
    public string Describe(long origin = 0)
    {
        var text = new StringBuilder();
        foreach (var (read, what) in Anomalies)
        {
            var where = read is null ? "final read"
                : string.Create(CultureInfo.InvariantCulture, $"p{read.Process} balances read {(read.InvokeTime - origin) / 1e6:0.#}-{(read.CompleteTime!.Value - origin) / 1e6:0.#} ms");
            text.Append(CultureInfo.InvariantCulture, $"anomaly: {where}: {what}\n");
        }
        foreach (var loss in Lost)
        {
            text.Append(CultureInfo.InvariantCulture, $"lost: {loss}\n");
        }
        text.AppendLine(Counts);
        text.Append(Summary);
        return text.ToString();
    }

    private static int Count(IReadOnlyList<Operation> operations, OpKind f, OpStatus status) =>
        operations.Count(o => o.F == f && o.Status == status);
}
