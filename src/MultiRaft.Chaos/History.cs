namespace MultiRaft.Chaos;

/// <summary>Pairs each invocation with its process's next completion.
/// Rules (as in Jepsen): a process has at most one outstanding operation; the completion names the same f and key
/// as its invocation; once an operation ends <c>info</c> (outcome unknown) its process id is never used again:
/// the client that lost track of an operation continues under a new process id. An invocation that never
/// completes (the history ended first) is taken as <c>info</c>. A read's completion carries the value read (a
/// balances read's ok, the balances); the completions of writes, cas, inits and transfers carry the
/// invocation's value again (not checked). A cas that compared and found
/// another value changed nothing and is recorded as <c>fail</c>, like any operation that certainly had no
/// effect.</summary>
public static class History
{
    /// <summary>The operations in invocation order. Throws <see cref="HistoryFormatException"/> (with the
    /// 1-based position of the offending event) when the events do not follow the rules.</summary>
    public static IReadOnlyList<Operation> Pair(IReadOnlyList<HistoryEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var operations = new List<Operation?>();
        var open = new Dictionary<long, (int Slot, int Position, HistoryEvent Invoke)>();
        var crashed = new Dictionary<long, int>();
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            var position = i + 1;
            if (e.Type == EventType.Invoke)
            {
                if (open.TryGetValue(e.Process, out var pending))
                {
                    throw new HistoryFormatException(position, $"process {e.Process} invoked {HistoryJson.Name(e.F)} while its {HistoryJson.Name(pending.Invoke.F)} from event {pending.Position} is still outstanding");
                }
                if (crashed.TryGetValue(e.Process, out var at))
                {
                    throw new HistoryFormatException(position, $"process {e.Process} invoked again after its operation ended info at event {at}; after an unknown outcome a client must continue under a new process id");
                }
                open[e.Process] = (operations.Count, position, e);
                operations.Add(null);
                continue;
            }
            if (!open.Remove(e.Process, out var invoked))
            {
                throw new HistoryFormatException(position, $"process {e.Process} completed ({HistoryJson.Name(e.Type)}) with no operation outstanding");
            }
            if (invoked.Invoke.F != e.F || invoked.Invoke.Key != e.Key)
            {
                throw new HistoryFormatException(position, $"process {e.Process} completed {HistoryJson.Name(e.F)} of key \"{e.Key}\" but invoked {HistoryJson.Name(invoked.Invoke.F)} of key \"{invoked.Invoke.Key}\" at event {invoked.Position}");
            }
            if (e.Time < invoked.Invoke.Time)
            {
                throw new HistoryFormatException(position, $"process {e.Process} completed at time {e.Time}, before its invocation at {invoked.Invoke.Time}");
            }
            var status = e.Type switch
            {
                EventType.Ok => OpStatus.Ok,
                EventType.Fail => OpStatus.Fail,
                _ => OpStatus.Info,
            };
            if (status == OpStatus.Info)
            {
                crashed[e.Process] = position;
            }
            operations[invoked.Slot] = Make(invoked.Invoke, invoked.Position - 1, status, e);
        }
        foreach (var (_, pending) in open)
        {
            operations[pending.Slot] = Make(pending.Invoke, pending.Position - 1, OpStatus.Info, null);
        }
        return operations.ConvertAll(o => o!);
    }

    private static Operation Make(HistoryEvent invoke, int index, OpStatus status, HistoryEvent? completion)
    {
        var value = invoke.F == OpKind.Read ? (status == OpStatus.Ok ? completion!.Value : null) : invoke.Value;
        long? completeTime = status == OpStatus.Info ? null : completion!.Time;
        return new Operation(index, invoke.Process, invoke.F, invoke.Key, value, status, invoke.Time, completeTime)
        {
            Expected = invoke.F == OpKind.Cas ? invoke.Expected : null,
            Transfer = invoke.Transfer,
            // An init carries its balances from the start; a balances read learns them in its ok.
            Balances = invoke.F == OpKind.Init ? invoke.Balances : status == OpStatus.Ok ? completion!.Balances : null,
        };
    }

    /// <summary>The events of <paramref name="operations"/> again, in time order (an unknown outcome is written as
    /// an <c>info</c> completion at <paramref name="infoTime"/>, or right after the last event when null).</summary>
    public static IReadOnlyList<HistoryEvent> ToEvents(IEnumerable<Operation> operations, long? infoTime = null)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var list = operations.ToList();
        var end = infoTime ?? (list.Count == 0 ? 0 : list.Max(o => Math.Max(o.InvokeTime, o.CompleteTime ?? o.InvokeTime)) + 1);
        var events = new List<(long Time, int Order, HistoryEvent Event)>();
        foreach (var o in list)
        {
            var invokeValue = o.F == OpKind.Read ? null : o.Value;
            var invokeBalances = o.F == OpKind.Init ? o.Balances : null;
            events.Add((o.InvokeTime, 1, new HistoryEvent(o.Process, EventType.Invoke, o.F, o.Key, invokeValue, o.InvokeTime)
            {
                Expected = o.Expected, Transfer = o.Transfer, Balances = invokeBalances,
            }));
            var type = o.Status switch
            {
                OpStatus.Ok => EventType.Ok,
                OpStatus.Fail => EventType.Fail,
                _ => EventType.Info,
            };
            var time = o.CompleteTime ?? end;
            // At equal times a completion goes before another operation's invocation, after its own.
            events.Add((time, time == o.InvokeTime ? 2 : 0, new HistoryEvent(o.Process, type, o.F, o.Key, o.Value, time)
            {
                Expected = o.Expected, Transfer = o.Transfer, Balances = o.Balances,
            }));
        }
        return [.. events.OrderBy(e => e.Time).ThenBy(e => e.Order).Select(e => e.Event)];
    }
}
