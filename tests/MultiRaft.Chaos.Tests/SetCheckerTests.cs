using MultiRaft.Chaos;
using static MultiRaft.Chaos.Tests.Ops;

namespace MultiRaft.Chaos.Tests;

public sealed class SetCheckerTests
{
    private static readonly Operation[] Writes =
    [
        W(1, "1", 0, 1, "e1"),
        W(1, "1", 2, 3, "e2"),
        Info(W(2, "1", 2, null, "e3")),
        Info(W(3, "1", 4, null, "e4")),
        Fail(W(4, "1", 5, 6, "e5")),
    ];

    [Fact]
    public void Every_acknowledged_write_present_and_unknown_ones_either_way_is_fine()
    {
        var result = SetChecker.Check(Writes, ["e1", "e2", "e3"]);
        Assert.True(result.IsValid);
        Assert.Equal((2, 1, 1), (result.OkPresent, result.UnknownPresent, result.UnknownAbsent));
        Assert.True(SetChecker.Check(Writes, ["e1", "e2", "e4"]).IsValid);
        Assert.True(SetChecker.Check(Writes, ["e1", "e2", "e3", "e4"]).IsValid);
    }

    [Fact]
    public void A_lost_write_is_reported()
    {
        var result = SetChecker.Check(Writes, ["e1", "e3"]);
        Assert.Equal(["e2"], result.Lost);
        Assert.False(result.IsValid);
        var check = new CheckResult(LinearizabilityChecker.Check(Writes), result);
        Assert.Equal("ops 5, anomalies 0, lost 1", check.Summary);
        Assert.Contains("lost (acknowledged, missing): 1: \"e2\"", check.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Elements_never_written_or_only_failed_are_anomalies()
    {
        var result = SetChecker.Check(Writes, ["e1", "e2", "e5", "ghost"]);
        Assert.Equal(["ghost"], result.Unexpected);
        Assert.Equal(["e5"], result.PresentAfterFail);
        Assert.Equal(2, result.Anomalies);
        Assert.Equal("ops 5, anomalies 2, lost 0", new CheckResult(LinearizabilityChecker.Check(Writes), result).Summary);
    }

    [Fact]
    public void Summary_counts_non_linearizable_keys_as_anomalies()
    {
        var history = History.ToEvents([W(1, "a", 0, 1), W(1, "b", 2, 3), R(2, "a", 4, 5), W(3, "z", 0, 1, "other")]);
        var result = HistoryChecker.Check(history);
        Assert.Equal("ops 4, anomalies 1, lost 0", result.Summary);
        Assert.False(result.IsValid);
        var report = result.Describe(0);
        Assert.Contains("key \"x\": NOT linearizable", report, StringComparison.Ordinal);
        Assert.EndsWith("ops 4, anomalies 1, lost 0", report, StringComparison.Ordinal);
    }
}
