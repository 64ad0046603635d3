using MultiRaft.Chaos;

namespace MultiRaft.Chaos.Tests;

/// <summary>Simulates clients of a real (linearizable) register store: each operation takes effect at a random
/// point between its invocation and completion, in that order across all clients. Some operations fail (no
/// effect), some end with an unknown outcome (taking effect or not, possibly after the client gave up; the
/// client goes on under a new process id). Written values are unique.</summary>
internal static class RegisterHistoryGenerator
{
    public static List<Operation> Generate(int seed, int clients, int keys, int count, double unknownRate = 0.01, double failRate = 0.01)
    {
        var random = new Random(seed);
        var ops = new List<(Operation Op, long Point, bool Applies)>(count);
        var cursor = new long[clients];
        var process = new long[clients];
        for (var c = 0; c < clients; c++)
        {
            process[c] = c;
            cursor[c] = random.Next(0, 100) * 1000L;
        }
        var nextProcess = (long)clients;
        var written = new List<string>[keys];
        for (var k = 0; k < keys; k++)
        {
            written[k] = [];
        }
        for (var n = 0; n < count; n++)
        {
            var c = random.Next(clients);
            var k = random.Next(keys);
            var key = $"k{k}";
            // Nanoseconds: up to 50 µs between a client's operations, each taking 1 µs to 300 µs.
            var invoke = cursor[c] + (random.Next(1, 50) * 1000L);
            var duration = random.Next(1, 300) * 1000;
            var complete = invoke + duration;
            var roll = random.NextDouble();
            var kind = roll < 0.5 ? OpKind.Read : roll < 0.8 ? OpKind.Write : OpKind.Cas;
            var value = kind == OpKind.Read ? null : $"v{n}";
            string? expected = null;
            if (kind == OpKind.Cas && written[k].Count > 0)
            {
                expected = written[k][Math.Max(0, written[k].Count - 1 - random.Next(3))];
            }
            if (value is not null)
            {
                written[k].Add(value);
            }
            var status = OpStatus.Ok;
            var point = invoke + random.Next(0, duration + 1);
            var applies = true;
            if (random.NextDouble() < unknownRate)
            {
                status = OpStatus.Info;
                applies = random.Next(2) == 0;
                point = invoke + random.Next(0, 3 * duration);
            }
            else if (random.NextDouble() < failRate)
            {
                status = OpStatus.Fail;
                applies = false;
            }
            var op = new Operation(n, process[c], kind, key, value, status, invoke, status == OpStatus.Info ? null : complete) { Expected = expected };
            ops.Add((op, point, applies));
            cursor[c] = complete;
            if (status == OpStatus.Info)
            {
                process[c] = nextProcess++;
            }
        }
        // Apply at the linearization points, in order; reads learn their value, cas whether it swapped.
        var state = new Dictionary<string, string?>(StringComparer.Ordinal);
        var order = Enumerable.Range(0, ops.Count).OrderBy(i => ops[i].Point).ThenBy(i => i).ToList();
        var result = ops.Select(o => o.Op).ToList();
        foreach (var i in order)
        {
            var (op, _, applies) = ops[i];
            if (!applies)
            {
                continue;
            }
            var current = state.GetValueOrDefault(op.Key);
            switch (op.F)
            {
                case OpKind.Read:
                    result[i] = op with { Value = current };
                    break;
                case OpKind.Write:
                    state[op.Key] = op.Value;
                    break;
                case OpKind.Cas when current == op.Expected:
                    state[op.Key] = op.Value;
                    break;
                case OpKind.Cas:
                    // The compare failed: nothing changed, recorded as fail (an unknown one stays unknown).
                    if (op.Status == OpStatus.Ok)
                    {
                        result[i] = op with { Status = OpStatus.Fail };
                    }
                    break;
            }
        }
        return result;
    }

    /// <summary>Makes one ok read (in the middle of the history) return a value that two ok writes completed
    /// before it began had already overwritten; returns the index of the read changed.</summary>
    public static int InjectStaleRead(List<Operation> ops)
    {
        for (var i = ops.Count / 2; i < ops.Count; i++)
        {
            var read = ops[i];
            if (read.F != OpKind.Read || read.Status != OpStatus.Ok)
            {
                continue;
            }
            var before = ops.Where(o => o.Key == read.Key && o.F == OpKind.Write && o.Status == OpStatus.Ok && o.CompleteTime < read.InvokeTime).ToList();
            var newer = before.OrderByDescending(o => o.CompleteTime).FirstOrDefault();
            var older = newer is null ? null : before.Where(o => o.CompleteTime < newer.InvokeTime).OrderByDescending(o => o.CompleteTime).FirstOrDefault();
            if (older is null || older.Value == read.Value)
            {
                continue;
            }
            ops[i] = read with { Value = older.Value };
            return i;
        }
        throw new InvalidOperationException("no read to make stale");
    }
}
