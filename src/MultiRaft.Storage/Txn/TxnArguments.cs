using MultiRaft.Storage.Kv;

namespace MultiRaft.Storage.Txn;

/// <summary>
/// Checks of a transactional command's input, all made before it reads or stages anything: a rejected command
/// changes nothing, on every replica alike.
/// </summary>
internal static class TxnArguments
{
    public static void CheckTargets(KvEngine kv, KvWriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(kv);
        ArgumentNullException.ThrowIfNull(batch);
    }

    public static void CheckMutations(IReadOnlyList<TxnMutation> mutations, KvEngineOptions options, string paramName)
    {
        ArgumentNullException.ThrowIfNull(mutations, paramName);
        var keys = new byte[mutations.Count][];
        for (var i = 0; i < mutations.Count; i++)
        {
            var mutation = mutations[i] ?? throw new ArgumentException($"mutation {i} is null", paramName);
            if (!Enum.IsDefined(mutation.Kind))
            {
                throw new ArgumentException($"mutation {i} has unknown kind {mutation.Kind}", paramName);
            }
            KvArguments.CheckKey(mutation.Key, options, paramName);
            if (mutation.Kind == MutationKind.Put)
            {
                var value = mutation.Value ?? throw new ArgumentException($"put {i} has no value", paramName);
                KvArguments.CheckValue(value, options, paramName);
            }
            else if (mutation.Value is not null)
            {
                throw new ArgumentException($"mutation {i} is a {mutation.Kind}, which carries no value", paramName);
            }
            keys[i] = mutation.Key;
        }
        CheckDistinct(keys, paramName);
    }

    public static void CheckKeys(IReadOnlyList<byte[]> keys, KvEngineOptions options, string paramName)
    {
        ArgumentNullException.ThrowIfNull(keys, paramName);
        for (var i = 0; i < keys.Count; i++)
        {
            KvArguments.CheckKey(keys[i], options, paramName);
        }
        CheckDistinct([.. keys], paramName);
    }

    /// <summary>PD hands out timestamps from 1: 0 is never a transaction's.</summary>
    public static void CheckTimestamp(ulong ts, string paramName) =>
        ArgumentOutOfRangeException.ThrowIfZero(ts, paramName);

    public static void CheckCommitTs(ulong startTs, ulong commitTs, string paramName)
    {
        if (commitTs <= startTs)
        {
            throw new ArgumentException($"commit ts {commitTs} is not after start ts {startTs}", paramName);
        }
    }

    // A command names each key once: its checks read the engine, not what the same call staged for an earlier key.
    private static void CheckDistinct(byte[][] keys, string paramName)
    {
        Array.Sort(keys, static (a, b) => a.AsSpan().SequenceCompareTo(b));
        for (var i = 1; i < keys.Length; i++)
        {
            if (keys[i].AsSpan().SequenceEqual(keys[i - 1]))
            {
                throw new ArgumentException("a key appears twice in one command", paramName);
            }
        }
    }
}
