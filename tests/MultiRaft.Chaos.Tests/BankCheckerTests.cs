using MultiRaft.Chaos;

namespace MultiRaft.Chaos.Tests;

/// <summary>The bank checker on hand-made histories: what must pass, and each way a snapshot or the final read
/// can be wrong.</summary>
public sealed class BankCheckerTests
{
    private static readonly Dictionary<string, long> Opening = Accounts(("a", 10), ("b", 10), ("c", 10));

    [Fact]
    public void Consistent_snapshots_pass_whatever_the_transfers_did()
    {
        var result = BankChecker.Check(Run(
            Transfer(2, "a", "b", 5, EventType.Ok),
            Transfer(3, "b", "c", 20, EventType.Fail),
            Transfer(4, "c", "a", 1, EventType.Info),
            Read(5, Accounts(("a", 5), ("b", 15), ("c", 10))),
            Read(6, null),
            Read(7, Accounts(("a", 6), ("b", 15), ("c", 9)))),
            final: Accounts(("a", 6), ("b", 15), ("c", 9)));

        Assert.True(result.IsValid);
        Assert.Equal("ops 7, anomalies 0, lost 0", result.Summary);
        Assert.Equal((1, 1, 1, 2, 1), (result.TransfersCommitted, result.TransfersFailed, result.TransfersUnknown, result.ReadsOk, result.ReadsFailed));
        Assert.Equal((3, 30L), (result.Accounts, result.Total));
        Assert.Contains("transfers: 1 committed, 1 failed, 1 indeterminate", result.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Each_faulty_snapshot_is_one_anomaly_saying_what_is_wrong()
    {
        var result = BankChecker.Check(Run(
            Read(2, Accounts(("a", 10), ("b", 10))),
            Read(3, Accounts(("a", 10), ("b", 10), ("c", 11))),
            Read(4, Accounts(("a", -1), ("b", 21), ("c", 10))),
            Read(5, Accounts(("a", 10), ("b", 10), ("c", 10), ("x", 0))),
            Read(6, Accounts(("a", 10), ("b", 10), ("c", 10)))));

        Assert.False(result.IsValid);
        Assert.Equal("ops 6, anomalies 4, lost 0", result.Summary);
        Assert.Equal(
            ["missing accounts c", "the balances sum to 31, not 30", "negative balances a=-1", "accounts never opened x"],
            result.Anomalies.Select(a => a.What));
        Assert.Equal([2L, 3, 4, 5], result.Anomalies.Select(a => a.Read!.Process));
        Assert.Contains("anomaly: p3 balances read", result.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_final_read_loses_missing_accounts_or_else_money()
    {
        var history = Run(Transfer(2, "a", "b", 5, EventType.Ok));

        var missing = BankChecker.Check(history, final: Accounts(("b", 15)));
        Assert.Equal(["account a", "account c"], missing.Lost);
        Assert.Empty(missing.Anomalies);
        Assert.Equal("ops 2, anomalies 0, lost 2", missing.Summary);

        var money = BankChecker.Check(history, final: Accounts(("a", 5), ("b", 10), ("c", 10)));
        Assert.Equal(["money: the accounts hold 25, not 30"], money.Lost);
        Assert.Contains("lost: money", money.Describe(), StringComparison.Ordinal);

        var overdrawn = BankChecker.Check(history, final: Accounts(("a", -5), ("b", 25), ("c", 10)));
        Assert.Empty(overdrawn.Lost);
        var anomaly = Assert.Single(overdrawn.Anomalies);
        Assert.Null(anomaly.Read);
        Assert.Equal("negative balances a=-5", anomaly.What);
        Assert.Contains("anomaly: final read: negative balances a=-5", overdrawn.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_history_without_one_settled_committed_init_cannot_be_checked()
    {
        HistoryEvent[] failedInit = [HistoryEvent.OfInit(1, EventType.Invoke, Opening, 0), HistoryEvent.OfInit(1, EventType.Fail, Opening, 1)];
        Assert.Throws<ArgumentException>(() => BankChecker.Check(History.Pair(failedInit)));
        Assert.Throws<ArgumentException>(() => BankChecker.Check(Run(Init(9))));
        HistoryEvent[] unknown = [.. failedInit, HistoryEvent.OfInit(2, EventType.Invoke, Opening, 2), HistoryEvent.OfInit(2, EventType.Info, Opening, 3), .. Init(3, 4)];
        Assert.Throws<ArgumentException>(() => BankChecker.Check(History.Pair(unknown)));
    }

    private static Dictionary<string, long> Accounts(params (string Account, long Balance)[] balances) =>
        balances.ToDictionary(b => b.Account, b => b.Balance, StringComparer.Ordinal);

    private static HistoryEvent[] Init(long process, long time = 0) =>
        [HistoryEvent.OfInit(process, EventType.Invoke, Opening, time), HistoryEvent.OfInit(process, EventType.Ok, Opening, time + 1)];

    private static HistoryEvent[] Transfer(long process, string from, string to, long amount, EventType outcome) =>
        [HistoryEvent.OfTransfer(process, EventType.Invoke, new BankTransfer(from, to, amount)), HistoryEvent.OfTransfer(process, outcome, new BankTransfer(from, to, amount))];

    /// <param name="seen">null: the read failed.</param>
    private static HistoryEvent[] Read(long process, Dictionary<string, long>? seen) =>
        [HistoryEvent.OfBalances(process, EventType.Invoke, null), HistoryEvent.OfBalances(process, seen is null ? EventType.Fail : EventType.Ok, seen)];

    /// <summary>A committed init by process 1, then the operations one after another, ten time units apart.</summary>
    private static List<Operation> Run(params HistoryEvent[][] operations)
    {
        var events = Init(1).Concat(operations.SelectMany(o => o)).Select((e, i) => e with { Time = i * 10 }).ToList();
        return [.. History.Pair(events)];
    }
}
