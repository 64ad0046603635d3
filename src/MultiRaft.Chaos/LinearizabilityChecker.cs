using System.Collections.Concurrent;
using System.Diagnostics;

namespace MultiRaft.Chaos;

/// <summary>Limits of a linearizability check.</summary>
public sealed record LinearizabilityOptions
{
    /// <summary>Search steps one key may take before it is reported unknown (each step is one look at one
    /// entry of the history; a linearizable key with 10,000 operations and 10 clients takes a few hundred
    /// thousand).</summary>
    public long MaxStepsPerKey { get; init; } = 20_000_000;

    /// <summary>Wall-clock limit of the whole check (not counting shrinking); keys not decided by then are
    /// unknown.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Whether to shrink each failing key to a minimal failing sub-history.</summary>
    public bool Shrink { get; init; } = true;

    /// <summary>Wall-clock limit of the shrinking of one failing key; when it runs out, the smallest failing
    /// sub-history found so far is reported.</summary>
    public TimeSpan ShrinkTimeout { get; init; } = TimeSpan.FromSeconds(20);

    public int MaxParallelism { get; init; } = Environment.ProcessorCount;
}

/// <summary>Checks that every key's history is linearizable as a register (read / write / cas, initially absent).
/// Keys are independent registers, so each key is checked on its own (in parallel): a history is linearizable
/// if and only if every key's is. <c>fail</c> operations never took effect and are dropped; reads with an
/// unknown outcome say nothing and are dropped; writes and cas with an unknown outcome may take effect at any
/// time after their invocation or never (those whose value nobody observes are dropped first: taking effect
/// could never explain anything). Bank operations (init, transfer, balances) are not register operations and are
/// left to <see cref="BankChecker"/>.</summary>
public static class LinearizabilityChecker
{
    public static LinearizabilityResult Check(IReadOnlyList<Operation> operations, LinearizabilityOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(operations);
        options ??= new LinearizabilityOptions();
        var deadline = Deadline(options.Timeout);
        var byKey = operations.Where(o => o.F is OpKind.Read or OpKind.Write or OpKind.Cas)
            .GroupBy(o => o.Key, StringComparer.Ordinal)
            .Select(g => (Key: g.Key, Ops: g.ToList()))
            .OrderByDescending(g => g.Ops.Count)
            .ToList();
        var results = new ConcurrentBag<KeyResult>();
        Parallel.ForEach(byKey, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxParallelism) },
            group => results.Add(CheckKey(group.Key, group.Ops, options, deadline)));
        return new LinearizabilityResult(operations.Count, [.. results.OrderBy(r => r.Key, StringComparer.Ordinal)]);
    }

    /// <summary>Checks one key's operations (all of them must be of <paramref name="key"/>).</summary>
    public static KeyResult CheckKey(string key, IReadOnlyList<Operation> operations, LinearizabilityOptions? options = null)
    {
        options ??= new LinearizabilityOptions();
        return CheckKey(key, operations, options, Deadline(options.Timeout));
    }

    private static KeyResult CheckKey(string key, IReadOnlyList<Operation> operations, LinearizabilityOptions options, long deadline)
    {
        var ops = Prepare(operations);
        var outcome = RegisterSearch.Run(Prune(ops).ToArray(), options.MaxStepsPerKey, deadline);
        var verdict = outcome.Verdict switch
        {
            SearchVerdict.Linearizable => Verdict.Linearizable,
            SearchVerdict.NotLinearizable => Verdict.NotLinearizable,
            _ => Verdict.Unknown,
        };
        if (verdict != Verdict.NotLinearizable)
        {
            return new KeyResult(key, verdict, operations.Count, outcome.Steps);
        }
        if (!options.Shrink)
        {
            return new KeyResult(key, verdict, operations.Count, outcome.Steps) { MinimalHistory = Back(ops, operations) };
        }
        var shrinker = new Shrinker(options.MaxStepsPerKey, Deadline(options.ShrinkTimeout));
        var (prefixEvents, badTime, window) = shrinker.ShortestFailingPrefix(ops, outcome.StuckAt);
        var minimal = shrinker.Minimize(window);
        return new KeyResult(key, verdict, operations.Count, outcome.Steps)
        {
            MinimalHistory = Back(minimal, operations),
            ShrinkComplete = !shrinker.RanOut,
            LinearizablePrefixEvents = prefixEvents,
            FirstBadEventTime = badTime,
        };
    }

    private static long Deadline(TimeSpan timeout) =>
        Stopwatch.GetTimestamp() + (long)Math.Min(timeout.TotalSeconds * Stopwatch.Frequency, long.MaxValue / 4);

    /// <summary>Interns values (0: absent) and drops what cannot matter: fail operations, unknown reads.</summary>
    private static List<RegisterOp> Prepare(IReadOnlyList<Operation> operations)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int Id(string? value)
        {
            if (value is null)
            {
                return 0;
            }
            if (!ids.TryGetValue(value, out var id))
            {
                id = ids.Count + 1;
                ids[value] = id;
            }
            return id;
        }
        var ops = new List<RegisterOp>(operations.Count);
        for (var i = 0; i < operations.Count; i++)
        {
            var o = operations[i];
            if (o.Status == OpStatus.Fail || (o.Status == OpStatus.Info && o.F == OpKind.Read))
            {
                continue;
            }
            var complete = o.Status == OpStatus.Info ? long.MaxValue : o.CompleteTime!.Value;
            ops.Add(new RegisterOp(o.F, Id(o.Value), o.F == OpKind.Cas ? Id(o.Expected) : 0, o.InvokeTime, complete, i));
        }
        return ops;
    }

    /// <summary>Drops unknown writes and cas whose new value no remaining operation observes (no read returns
    /// it, no cas expects it). Sound: in any linearization that includes such a write, the next operation to
    /// depend on the register's value overwrites it first, so leaving it out keeps the linearization valid.</summary>
    internal static List<RegisterOp> Prune(List<RegisterOp> ops)
    {
        var observed = new HashSet<int>();
        var kept = new bool[ops.Count];
        for (var i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            if (op.Unknown)
            {
                continue;
            }
            kept[i] = true;
            if (op.Kind == OpKind.Read)
            {
                observed.Add(op.Value);
            }
            else if (op.Kind == OpKind.Cas)
            {
                observed.Add(op.Expected);
            }
        }
        for (var changed = true; changed;)
        {
            changed = false;
            for (var i = 0; i < ops.Count; i++)
            {
                if (!kept[i] && observed.Contains(ops[i].Value))
                {
                    kept[i] = true;
                    changed = true;
                    if (ops[i].Kind == OpKind.Cas)
                    {
                        observed.Add(ops[i].Expected);
                    }
                }
            }
        }
        return [.. ops.Where((_, i) => kept[i])];
    }

    private static List<Operation> Back(List<RegisterOp> ops, IReadOnlyList<Operation> source) =>
        ops.OrderBy(o => o.Invoke).ThenBy(o => o.Source).Select(o =>
        {
            var original = source[o.Source];
            return o.Unknown && original.Status != OpStatus.Info ? original with { Status = OpStatus.Info, CompleteTime = null } : original;
        }).ToList();
}
