using System.Globalization;
using System.Text;

namespace MultiRaft.Chaos;

/// <summary>Everything a chaos run's checkers found. <see cref="Summary"/> is the run's last line:
/// <c>ops N, anomalies A, lost L</c>. Anomalies are the non-linearizable keys plus set elements that should not
/// be there; keys whose check ran out of budget are listed apart (<see cref="UnknownKeys"/>): neither proven
/// right nor wrong.</summary>
public sealed class CheckResult
{
    public CheckResult(LinearizabilityResult linearizability, SetResult? set = null)
    {
        ArgumentNullException.ThrowIfNull(linearizability);
        Linearizability = linearizability;
        Set = set;
    }

    public LinearizabilityResult Linearizability { get; }

    public SetResult? Set { get; }

    public int Operations => Linearizability.Operations;

    /// <summary>The non-linearizable keys, each with its minimal failing sub-history.</summary>
    public IReadOnlyList<KeyResult> NonLinearizableKeys => [.. Linearizability.Anomalies];

    public IReadOnlyList<string> LostWrites => Set?.Lost ?? [];

    public IReadOnlyList<string> UnknownKeys => [.. Linearizability.Unknown.Select(k => k.Key)];

    public int Anomalies => NonLinearizableKeys.Count + (Set?.Anomalies ?? 0);

    public bool IsValid => Anomalies == 0 && LostWrites.Count == 0;

    public string Summary => string.Create(CultureInfo.InvariantCulture, $"ops {Operations}, anomalies {Anomalies}, lost {LostWrites.Count}");

    /// <summary>The full report: every anomaly with its sub-history (times in ms from
    /// <paramref name="origin"/>), lost and unexpected elements, unknown keys, then <see cref="Summary"/>.</summary>
    public string Describe(long origin = 0)
    {
        var text = new StringBuilder();
        foreach (var key in NonLinearizableKeys)
        {
            text.AppendLine(key.Describe(origin));
        }
        if (Set is { } set)
        {
            AppendList(text, "lost (acknowledged, missing)", set.Lost);
            AppendList(text, "unexpected (present, never written)", set.Unexpected);
            AppendList(text, "present although every write of it failed", set.PresentAfterFail);
            text.Append(CultureInfo.InvariantCulture, $"set: {set.OkPresent} acknowledged present, unknown outcome: {set.UnknownPresent} present, {set.UnknownAbsent} absent\n");
        }
        AppendList(text, "unknown (budget exceeded), keys", UnknownKeys);
        text.Append(Summary);
        return text.ToString();
    }

    private static void AppendList(StringBuilder text, string what, IReadOnlyList<string> items)
    {
        if (items.Count == 0)
        {
            return;
        }
        const int Shown = 20;
        text.Append(CultureInfo.InvariantCulture, $"{what}: {items.Count}: ");
        text.AppendJoin(", ", items.Take(Shown).Select(i => $"\"{i}\""));
        text.Append(items.Count > Shown ? ", ...\n" : "\n");
    }
}

/// <summary>Reads, pairs and checks a history in one call.</summary>
public static class HistoryChecker
{
    /// <summary>Checks every key of <paramref name="events"/> for linearizability and, when
    /// <paramref name="finalSet"/> is given (the elements a final read found), the set workload too.</summary>
    public static CheckResult Check(IReadOnlyList<HistoryEvent> events, LinearizabilityOptions? options = null, IEnumerable<string>? finalSet = null)
    {
        var operations = History.Pair(events);
        var set = finalSet is null ? null : SetChecker.Check(operations, finalSet);
        return new CheckResult(LinearizabilityChecker.Check(operations, options), set);
    }

    public static CheckResult CheckFile(string path, LinearizabilityOptions? options = null, IEnumerable<string>? finalSet = null) =>
        Check(HistoryReader.ReadFile(path), options, finalSet);
}
