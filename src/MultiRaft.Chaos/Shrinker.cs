using System.Diagnostics;

namespace MultiRaft.Chaos;

/// <summary>Shrinks one key's non-linearizable history. First the shortest failing prefix of events (exact: a
/// prefix of a linearizable history is linearizable, operations still running at the cut being unknown; the
/// point where the full search got stuck is tried first, then binary search), then the shortest failing tail of
/// that prefix in invocation order (the last 8, 16, 32, ... operations), then delta debugging (removing ever smaller chunks of operations while the rest stays
/// non-linearizable) until no single operation can go. Removal is closed under "a read or cas keeps the write
/// it observed": removing the only write of a value also removes what observed it, so a witness never turns
/// into a misleading "read of a value never written".</summary>
internal sealed class Shrinker(long maxSteps, long deadline)
{
    public bool RanOut { get; private set; }

    public (int PrefixEvents, long BadTime, List<RegisterOp> Window) ShortestFailingPrefix(List<RegisterOp> ops, long? stuckAt)
    {
        var events = new List<(long Time, bool Return, int Op)>(ops.Count * 2);
        for (var i = 0; i < ops.Count; i++)
        {
            events.Add((ops[i].Invoke, false, i));
            if (!ops[i].Unknown)
            {
                events.Add((ops[i].Complete, true, i));
            }
        }
        events.Sort((a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : a.Return.CompareTo(b.Return));
        List<RegisterOp> Prefix(int m)
        {
            var returned = new HashSet<int>();
            var called = new List<int>();
            for (var i = 0; i < m; i++)
            {
                if (events[i].Return)
                {
                    returned.Add(events[i].Op);
                }
                else
                {
                    called.Add(events[i].Op);
                }
            }
            var prefix = new List<RegisterOp>(called.Count);
            foreach (var i in called)
            {
                var op = ops[i];
                if (returned.Contains(i) || op.Unknown)
                {
                    prefix.Add(op);
                }
                else if (op.Kind != OpKind.Read)
                {
                    prefix.Add(op with { Complete = long.MaxValue });
                }
            }
            return prefix;
        }
        // Invariant: the prefix of lo events is linearizable, that of hi events is not.
        int lo = 0, hi = events.Count;
        if (stuckAt is { } stuck)
        {
            // The events up to the one where the search got stuck: usually exactly the shortest failing prefix.
            var hint = events.FindLastIndex(e => e.Time <= stuck) + 1;
            if (hint > 0 && hint < hi && Fails(Prefix(hint)))
            {
                hi = hint;
                if (!Fails(Prefix(hint - 1)) && !RanOut)
                {
                    lo = hint - 1;
                }
            }
        }
        while (hi - lo > 1)
        {
            var mid = lo + ((hi - lo) / 2);
            if (Fails(Prefix(mid)))
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }
        }
        return (hi - 1, events[hi - 1].Time, Prefix(hi));
    }

    public List<RegisterOp> Minimize(List<RegisterOp> window)
    {
        var written = new HashSet<int>(window.Where(o => o.Kind != OpKind.Read).Select(o => o.Value));
        var byInvoke = window.OrderBy(o => o.Invoke).ToList();
        // The last 8, 16, 32, ... operations, until they fail on their own (all of them do).
        var current = byInvoke;
        for (var tail = 8; tail < byInvoke.Count && !RanOut; tail *= 2)
        {
            var candidate = Close(byInvoke.GetRange(byInvoke.Count - tail, tail), written);
            if (Fails(candidate))
            {
                current = candidate;
                break;
            }
        }
        for (var chunk = Math.Max(1, current.Count / 2); !RanOut;)
        {
            var removed = false;
            for (var start = 0; start < current.Count && !RanOut;)
            {
                var candidate = new List<RegisterOp>(current);
                candidate.RemoveRange(start, Math.Min(chunk, current.Count - start));
                candidate = Close(candidate, written);
                if (Fails(candidate))
                {
                    current = candidate;
                    removed = true;
                }
                else
                {
                    start += chunk;
                }
            }
            if (!removed)
            {
                if (chunk == 1)
                {
                    break;
                }
                chunk = Math.Max(1, chunk / 2);
            }
        }
        return current;
    }

    /// <summary>Removes reads and cas that observe a value written in the window but by none of
    /// <paramref name="ops"/>, until none is left.</summary>
    private static List<RegisterOp> Close(List<RegisterOp> ops, HashSet<int> writtenInWindow)
    {
        while (true)
        {
            var written = new HashSet<int>(ops.Where(o => o.Kind != OpKind.Read).Select(o => o.Value));
            bool Orphan(RegisterOp o)
            {
                var observed = o.Kind switch
                {
                    OpKind.Read => o.Value,
                    OpKind.Cas => o.Expected,
                    _ => 0,
                };
                return observed != 0 && writtenInWindow.Contains(observed) && !written.Contains(observed);
            }
            var kept = ops.Where(o => !Orphan(o)).ToList();
            if (kept.Count == ops.Count)
            {
                return kept;
            }
            ops = kept;
        }
    }

    private bool Fails(List<RegisterOp> ops)
    {
        if (Stopwatch.GetTimestamp() > deadline)
        {
            RanOut = true;
            return false;
        }
        var outcome = RegisterSearch.Run(LinearizabilityChecker.Prune(ops).ToArray(), maxSteps, deadline);
        if (outcome.Verdict == SearchVerdict.BudgetExceeded)
        {
            RanOut = true;
        }
        return outcome.Verdict == SearchVerdict.NotLinearizable;
    }
}
