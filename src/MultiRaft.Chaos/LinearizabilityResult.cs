using System.Globalization;
using System.Text;

namespace MultiRaft.Chaos;

/// <summary>The verdict on one key.</summary>
public enum Verdict
{
    Linearizable,
    NotLinearizable,
    /// <summary>The search ran out of its step or time budget before deciding.</summary>
    Unknown,
}

/// <summary>The check of one key's register history.</summary>
public sealed class KeyResult
{
    internal KeyResult(string key, Verdict verdict, int operations, long steps)
    {
        Key = key;
        Verdict = verdict;
        Operations = operations;
        Steps = steps;
    }

    public string Key { get; }

    public Verdict Verdict { get; }

    /// <summary>Operations of this key in the history (fail ones included).</summary>
    public int Operations { get; }

    /// <summary>Search steps spent on the whole history of the key (not counting shrinking).</summary>
    public long Steps { get; }

    /// <summary>When not linearizable: a sub-history that is itself not linearizable and from which no single
    /// operation can be removed with it staying so (unless shrinking ran out of time, see
    /// <see cref="ShrinkComplete"/>). An operation whose completion fell after the cut of the shortest failing
    /// prefix appears with an unknown outcome.</summary>
    public IReadOnlyList<Operation> MinimalHistory { get; internal init; } = [];

    public bool ShrinkComplete { get; internal init; }

    /// <summary>When not linearizable: how many of the key's events (invocations and completions, in time order,
    /// fail and unknown reads left out) form its longest linearizable prefix; the next event makes it fail.</summary>
    public int LinearizablePrefixEvents { get; internal init; }

    /// <summary>The time of the event that ends the longest linearizable prefix (the first that cannot be
    /// explained); null unless not linearizable.</summary>
    public long? FirstBadEventTime { get; internal init; }

    /// <summary>A readable account: for an anomaly, the minimal sub-history as a table with times in
    /// milliseconds from <paramref name="origin"/> (the first event of the history).</summary>
    public string Describe(long origin)
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        switch (Verdict)
        {
            case Verdict.Linearizable:
                text.Append(inv, $"key \"{Key}\": linearizable ({Operations} operations)");
                return text.ToString();
            case Verdict.Unknown:
                text.Append(inv, $"key \"{Key}\": unknown, budget exceeded after {Steps} steps ({Operations} operations)");
                return text.ToString();
        }
        text.Append(inv, $"key \"{Key}\": NOT linearizable ({Operations} operations); ");
        text.Append(inv, $"{(ShrinkComplete ? "minimal" : "reduced (shrinking ran out of time)")} failing sub-history of {MinimalHistory.Count} operations, ");
        text.AppendLine("times in ms from the first event:");
        text.Append(Table(MinimalHistory, origin));
        if (FirstBadEventTime is { } bad)
        {
            text.AppendLine();
            text.Append(inv, $"  longest linearizable prefix: the key's first {LinearizablePrefixEvents} events; the next, at {Ms(bad - origin)} ms, cannot be explained");
        }
        return text.ToString();
    }

    /// <summary>Operations as a table: process, f, value, status, invoke and complete times in ms from
    /// <paramref name="origin"/> ("?" for an unknown completion).</summary>
    public static string Table(IEnumerable<Operation> operations, long origin)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var rows = operations.OrderBy(o => o.InvokeTime).Select(o => new[]
        {
            o.Process.ToString(CultureInfo.InvariantCulture),
            HistoryJson.Name(o.F),
            o.F == OpKind.Cas ? $"{Operation.Show(o.Expected)} -> {Operation.Show(o.Value)}" : Operation.Show(o.Value),
            o.Status switch { OpStatus.Ok => "ok", OpStatus.Fail => "fail", _ => "info" },
            Ms(o.InvokeTime - origin),
            o.CompleteTime is { } c ? Ms(c - origin) : "?",
        }).ToList();
        string[] header = ["process", "f", "value", "status", "invoke", "complete"];
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows.Prepend(header))
        {
            text.Append("  ");
            for (var i = 0; i < row.Length; i++)
            {
                // Numbers to the right, words to the left.
                text.Append(i is 0 or 4 or 5 ? row[i].PadLeft(widths[i]) : row[i].PadRight(widths[i]));
                text.Append(i + 1 < row.Length ? "  " : "\n");
            }
        }
        return text.ToString();
    }

    private static string Ms(long nanos) => (nanos / 1e6).ToString("0.000", CultureInfo.InvariantCulture);
}

/// <summary>The linearizability check of a whole history, key by key (sorted by key).</summary>
public sealed class LinearizabilityResult
{
    internal LinearizabilityResult(int operations, IReadOnlyList<KeyResult> keys)
    {
        Operations = operations;
        Keys = keys;
    }

    public int Operations { get; }

    public IReadOnlyList<KeyResult> Keys { get; }

    public IEnumerable<KeyResult> Anomalies => Keys.Where(k => k.Verdict == Verdict.NotLinearizable);

    public IEnumerable<KeyResult> Unknown => Keys.Where(k => k.Verdict == Verdict.Unknown);

    public bool IsLinearizable => Keys.All(k => k.Verdict == Verdict.Linearizable);
}
