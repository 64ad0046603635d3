namespace MultiRaft.Chaos;

/// <summary>
/// The bank workload: an <c>init</c> opens accounts with a total; transfers move money between two of them
/// under snapshot-isolated transactions; <c>balances</c> reads take one snapshot of every account. Whatever the
/// transfers did, committed or not, a snapshot must see every account, no money made or destroyed, and no
/// account overdrawn (a transfer only commits if its source keeps at least 0). The opening balances come from
/// the history's one committed init, so a history is checked on its own.
/// </summary>
public static class BankChecker
{
    /// <summary>Checks every balances read that ended ok (each faulty read is one anomaly) and, when
    /// <paramref name="final"/> is given (a snapshot read after the faults healed), that too: an account it
    /// misses is lost; with none missing, a wrong total is one loss; a negative balance or an account never
    /// opened is an anomaly. Throws <see cref="ArgumentException"/> when the history has no single committed
    /// init, or an init of unknown outcome (the runner must settle it before the load starts).</summary>
    public static BankResult Check(IReadOnlyList<Operation> operations, IReadOnlyDictionary<string, long>? final = null)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var inits = operations.Where(o => o.F == OpKind.Init).ToList();
        var opened = inits.Where(o => o.Status == OpStatus.Ok).ToList();
        if (opened.Count != 1 || inits.Any(o => o.Status == OpStatus.Info))
        {
            throw new ArgumentException($"a bank history needs exactly one committed init and none of unknown outcome; it has {opened.Count} committed of {inits.Count}", nameof(operations));
        }
        var accounts = opened[0].Balances!;
        var total = accounts.Values.Sum();
        var anomalies = new List<BankAnomaly>();
        foreach (var read in operations.Where(o => o.F == OpKind.Balances && o.Status == OpStatus.Ok))
        {
            var audit = Audit.Of(read.Balances!, accounts, total);
            if (audit.Describe(includeLoss: true) is { } what)
            {
                anomalies.Add(new BankAnomaly(read, what));
            }
        }
        var lost = new List<string>();
        if (final is not null)
        {
            var audit = Audit.Of(final, accounts, total);
            lost.AddRange(audit.Missing.Select(a => $"account {a}"));
            if (audit.Missing.Count == 0 && audit.Sum != total)
            {
                lost.Add($"money: the accounts hold {audit.Sum}, not {total}");
            }
            if (audit.Describe(includeLoss: false) is { } what)
            {
                anomalies.Add(new BankAnomaly(null, what));
            }
        }
        return new BankResult(operations, accounts.Count, total, anomalies, lost);
    }

    /// <summary>What is wrong with one snapshot of the accounts, by kind.</summary>
    private sealed record Audit(List<string> Missing, List<string> Unknown, List<string> Negative, long Sum, long Total)
    {
        public static Audit Of(IReadOnlyDictionary<string, long> seen, IReadOnlyDictionary<string, long> accounts, long total)
        {
            var missing = accounts.Keys.Where(a => !seen.ContainsKey(a)).Order(StringComparer.Ordinal).ToList();
            var unknown = seen.Keys.Where(a => !accounts.ContainsKey(a)).Order(StringComparer.Ordinal).ToList();
            var negative = seen.Where(b => b.Value < 0).OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => $"{b.Key}={b.Value}").ToList();
            var sum = seen.Where(b => accounts.ContainsKey(b.Key)).Sum(b => b.Value);
            return new Audit(missing, unknown, negative, sum, total);
        }

        /// <summary>Every problem in one line, or null when there is none. Missing accounts and a wrong total
        /// (the sum only counts when no account is missing) are left out unless <paramref name="includeLoss"/>.</summary>
        public string? Describe(bool includeLoss)
        {
            var problems = new List<string>();
            if (includeLoss && Missing.Count > 0)
            {
                problems.Add($"missing accounts {string.Join(", ", Missing)}");
            }
            if (includeLoss && Missing.Count == 0 && Sum != Total)
            {
                problems.Add($"the balances sum to {Sum}, not {Total}");
            }
            if (Unknown.Count > 0)
            {
                problems.Add($"accounts never opened {string.Join(", ", Unknown)}");
            }
            if (Negative.Count > 0)
            {
                problems.Add($"negative balances {string.Join(", ", Negative)}");
            }
            return problems.Count == 0 ? null : string.Join("; ", problems);
        }
    }
}
