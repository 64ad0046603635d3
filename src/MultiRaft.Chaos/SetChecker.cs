namespace MultiRaft.Chaos;

/// <summary>The outcome of the set (lost-write) check. Element lists are sorted (ordinal).</summary>
public sealed class SetResult
{
    internal SetResult(IReadOnlyList<string> lost, IReadOnlyList<string> unexpected, IReadOnlyList<string> presentAfterFail, int okPresent, int unknownPresent, int unknownAbsent)
    {
        Lost = lost;
        Unexpected = unexpected;
        PresentAfterFail = presentAfterFail;
        OkPresent = okPresent;
        UnknownPresent = unknownPresent;
        UnknownAbsent = unknownAbsent;
    }

    /// <summary>Acknowledged (ok) writes missing from the final read.</summary>
    public IReadOnlyList<string> Lost { get; }

    /// <summary>Present, but no write of it was ever invoked.</summary>
    public IReadOnlyList<string> Unexpected { get; }

    /// <summary>Present, though every write of it failed (a fail certainly had no effect).</summary>
    public IReadOnlyList<string> PresentAfterFail { get; }

    public int OkPresent { get; }

    /// <summary>Writes with an unknown outcome that took effect.</summary>
    public int UnknownPresent { get; }

    /// <summary>Writes with an unknown outcome that did not.</summary>
    public int UnknownAbsent { get; }

    public int Anomalies => Unexpected.Count + PresentAfterFail.Count;

    public bool IsValid => Lost.Count == 0 && Anomalies == 0;
}

/// <summary>The set workload: each write adds one element, its key (a unique key per write); at the end one read
/// (a scan) lists the elements present. Every ok write must be present, nothing may be present that no write
/// ever added or that only failed writes tried to add; writes with an unknown (info) outcome may be present or
/// not. Reads and cas in the history are ignored.</summary>
public static class SetChecker
{
    public static SetResult Check(IEnumerable<Operation> operations, IEnumerable<string> present)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(present);
        // Per element, the strongest outcome of its writes: ok, then unknown, then fail.
        var best = new Dictionary<string, OpStatus>(StringComparer.Ordinal);
        foreach (var o in operations.Where(o => o.F == OpKind.Write))
        {
            best[o.Key] = best.TryGetValue(o.Key, out var seen) ? Stronger(seen, o.Status) : o.Status;
        }
        var presentSet = new HashSet<string>(present, StringComparer.Ordinal);
        var lost = new List<string>();
        var presentAfterFail = new List<string>();
        int okPresent = 0, unknownPresent = 0, unknownAbsent = 0;
        foreach (var (element, status) in best)
        {
            var isPresent = presentSet.Contains(element);
            switch (status)
            {
                case OpStatus.Ok when isPresent:
                    okPresent++;
                    break;
                case OpStatus.Ok:
                    lost.Add(element);
                    break;
                case OpStatus.Info when isPresent:
                    unknownPresent++;
                    break;
                case OpStatus.Info:
                    unknownAbsent++;
                    break;
                case OpStatus.Fail when isPresent:
                    presentAfterFail.Add(element);
                    break;
            }
        }
        var unexpected = presentSet.Where(e => !best.ContainsKey(e)).ToList();
        return new SetResult(Sorted(lost), Sorted(unexpected), Sorted(presentAfterFail), okPresent, unknownPresent, unknownAbsent);
    }

    private static OpStatus Stronger(OpStatus a, OpStatus b) =>
        a == OpStatus.Ok || b == OpStatus.Ok ? OpStatus.Ok : a == OpStatus.Info || b == OpStatus.Info ? OpStatus.Info : OpStatus.Fail;

    private static List<string> Sorted(List<string> list)
    {
        list.Sort(StringComparer.Ordinal);
        return list;
    }
}
