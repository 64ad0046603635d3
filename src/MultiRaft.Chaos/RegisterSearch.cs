using System.Diagnostics;

namespace MultiRaft.Chaos;

/// <summary>One operation of one key as the search sees it: values are interned (0 is "absent").
/// <see cref="Complete"/> is <see cref="long.MaxValue"/> for an unknown outcome.</summary>
internal readonly record struct RegisterOp(OpKind Kind, int Value, int Expected, long Invoke, long Complete, int Source)
{
    public bool Unknown => Complete == long.MaxValue;
}

internal enum SearchVerdict
{
    Linearizable,
    NotLinearizable,
    BudgetExceeded,
}

/// <summary><see cref="StuckAt"/>: the time of the return entry where the search stood when it had linearized
/// the most operations (the likely first event that cannot be explained), or null.</summary>
internal readonly record struct SearchOutcome(SearchVerdict Verdict, long Steps, int DeepestLinearized, long? StuckAt = null);

/// <summary>Wing &amp; Gong's search for a register, with Lowe's memoization: the history is a doubly linked list
/// of call and return entries in time order; the search repeatedly takes a call whose operation the model accepts
/// in the current state, lifts the operation out of the list and recurses; reaching a return entry means the
/// operation returning there cannot be linearized before the ones still pending, so it backtracks. A
/// (set of linearized operations, state) pair is explored once. Sets are identified by a 128-bit Zobrist hash
/// (two random 64-bit words per operation, combined by XOR), not stored: two different sets collide with
/// probability about 2^-128 per pair, far below anything a run can reach.
/// Unknown operations return at +infinity, after every known return, so they need never be linearized: once the
/// scan reaches the return of an unknown operation, every known operation has been placed.</summary>
internal static class RegisterSearch
{
    public static SearchOutcome Run(ReadOnlySpan<RegisterOp> ops, long maxSteps, long deadline)
    {
        var n = ops.Length;
        if (n == 0)
        {
            return new SearchOutcome(SearchVerdict.Linearizable, 0, 0);
        }
        // Entries 0..n-1 are calls (entry i calls op i), n..2n-1 returns; 2n is the head, 2n+1 the tail.
        var order = new int[2 * n];
        var times = new long[2 * n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
            times[i] = ops[i].Invoke;
            order[n + i] = n + i;
            times[n + i] = ops[i].Complete;
        }
        // Time order; at equal times calls first (the operations are taken as overlapping).
        Array.Sort(order, (a, b) =>
        {
            var byTime = times[a].CompareTo(times[b]);
            return byTime != 0 ? byTime : (a >= n).CompareTo(b >= n);
        });
        var head = 2 * n;
        var tail = 2 * n + 1;
        var next = new int[2 * n + 2];
        var prev = new int[2 * n + 2];
        var last = head;
        foreach (var entry in order)
        {
            next[last] = entry;
            prev[entry] = last;
            last = entry;
        }
        next[last] = tail;
        prev[tail] = last;

        var hashLow = new ulong[n];
        var hashHigh = new ulong[n];
        var seed = 0x9E3779B97F4A7C15UL;
        for (var i = 0; i < n; i++)
        {
            hashLow[i] = SplitMix(ref seed);
            hashHigh[i] = SplitMix(ref seed);
        }

        // (set, state) as 128 bits: the state is folded into the low word by a bijection, so the same set with two
        // states never collides.
        var cache = new HashSet<UInt128>();
        var stack = new Stack<(int Op, int State)>();
        ulong low = 0, high = 0;
        var state = 0;
        var deepest = 0;
        long? stuckAt = null;
        var entryAt = next[head];
        long steps = 0;
        while (true)
        {
            if (entryAt == tail || (entryAt >= n && ops[entryAt - n].Unknown))
            {
                return new SearchOutcome(SearchVerdict.Linearizable, steps, Math.Max(deepest, stack.Count));
            }
            if (++steps > maxSteps || ((steps & 4095) == 0 && Stopwatch.GetTimestamp() > deadline))
            {
                return new SearchOutcome(SearchVerdict.BudgetExceeded, steps, deepest, stuckAt);
            }
            if (entryAt < n)
            {
                var op = ops[entryAt];
                if (Apply(op, state, out var after) && cache.Add(new UInt128(high ^ hashHigh[entryAt], low ^ hashLow[entryAt] ^ Mix((ulong)after))))
                {
                    low ^= hashLow[entryAt];
                    high ^= hashHigh[entryAt];
                    stack.Push((entryAt, state));
                    state = after;
                    Lift(entryAt, n, next, prev);
                    entryAt = next[head];
                }
                else
                {
                    entryAt = next[entryAt];
                }
                continue;
            }
            // A known operation returns here without having been linearized: backtrack.
            if (stack.Count > deepest || stuckAt is null)
            {
                deepest = stack.Count;
                stuckAt = times[entryAt];
            }
            if (stack.Count == 0)
            {
                return new SearchOutcome(SearchVerdict.NotLinearizable, steps, deepest, stuckAt);
            }
            var (undone, before) = stack.Pop();
            state = before;
            low ^= hashLow[undone];
            high ^= hashHigh[undone];
            Unlift(undone, n, next, prev);
            entryAt = next[undone];
        }
    }

    /// <summary>The register: a read must see the current value; a write replaces it; a cas needs the expected
    /// value and replaces it.</summary>
    private static bool Apply(in RegisterOp op, int state, out int after)
    {
        switch (op.Kind)
        {
            case OpKind.Read:
                after = state;
                return op.Value == state;
            case OpKind.Write:
                after = op.Value;
                return true;
            default:
                after = op.Value;
                return op.Expected == state;
        }
    }

    private static void Lift(int call, int n, int[] next, int[] prev)
    {
        next[prev[call]] = next[call];
        prev[next[call]] = prev[call];
        var ret = call + n;
        next[prev[ret]] = next[ret];
        prev[next[ret]] = prev[ret];
    }

    private static void Unlift(int call, int n, int[] next, int[] prev)
    {
        var ret = call + n;
        next[prev[ret]] = ret;
        prev[next[ret]] = ret;
        next[prev[call]] = call;
        prev[next[call]] = call;
    }

    private static ulong SplitMix(ref ulong seed) => Mix(seed += 0x9E3779B97F4A7C15UL);

    /// <summary>SplitMix64's finalizer: a bijection on 64-bit words.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
