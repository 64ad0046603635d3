using MultiRaft.Storage.Kv;
using MultiRaft.Storage.Tests.Kv;
using MultiRaft.Storage.Txn;
using static MultiRaft.Storage.Tests.Kv.TempEngine;

namespace MultiRaft.Storage.Tests.Txn;

/// <summary>
/// A KV engine in a temporary directory driven the way the apply path drives it: every command stages into a fresh
/// batch, which is then written. Keys and values are strings; <see cref="LastStaged"/> counts what the last command
/// staged, so that a test can tell "failed and changed nothing" apart from "succeeded".
/// </summary>
internal sealed class TxnEngine : IDisposable
{
    public const ulong DefaultTtlMs = 3_000;

    private readonly TempEngine _temp;

    public TxnEngine(KvEngineOptions? options = null)
    {
        _temp = new TempEngine(options);
    }

    public KvEngine Engine => _temp.Engine;

    public MvccReader Reader => new(Engine);

    public int LastStaged { get; private set; }

    public static TxnMutation Put(string key, string value) => new(MutationKind.Put, Bytes(key), Bytes(value));

    /// <summary><paramref name="text"/> padded to one byte more than a short value: it goes to the data column family.</summary>
    public static string Long(string text) => text.PadRight(TxnRecordCodec.MaxShortValueBytes + 1, '.');

    public static TxnMutation Delete(string key) => new(MutationKind.Delete, Bytes(key));

    public static TxnMutation LockOnly(string key) => new(MutationKind.Lock, Bytes(key));

    public void Reopen() => _temp.Reopen();

    public T Apply<T>(Func<KvEngine, KvWriteBatch, T> command)
    {
        LastStaged = -1;
        using var batch = Engine.NewWriteBatch();
        var result = command(Engine, batch);
        LastStaged = batch.Count;
        Engine.Write(batch, sync: false);
        return result;
    }

    public List<TxnKeyError> Prewrite(ulong startTs, string primary, params TxnMutation[] mutations) =>
        PrewriteWithTtl(startTs, primary, DefaultTtlMs, mutations);

    public List<TxnKeyError> PrewriteWithTtl(ulong startTs, string primary, ulong ttlMs, params TxnMutation[] mutations) =>
        Apply((kv, batch) => MvccActions.Prewrite(kv, batch, mutations, Bytes(primary), startTs, ttlMs));

    public List<TxnKeyError> Commit(ulong startTs, ulong commitTs, params string[] keys) =>
        Apply((kv, batch) => MvccActions.Commit(kv, batch, Keys(keys), startTs, commitTs));

    public List<TxnKeyError> Rollback(ulong startTs, params string[] keys) =>
        Apply((kv, batch) => MvccActions.Rollback(kv, batch, Keys(keys), startTs));

    public TxnStatus CheckTxnStatus(string primary, ulong lockTs, ulong currentTs) =>
        Apply((kv, batch) => MvccActions.CheckTxnStatus(kv, batch, Bytes(primary), lockTs, currentTs));

    public int ResolveLock(string start, string end, ulong startTs, ulong commitTs) =>
        Apply((kv, batch) => MvccActions.ResolveLock(kv, batch, Bytes(start), Bytes(end), startTs, commitTs));

    public GcResult Gc(string start, string end, ulong safePoint, int maxKeys = 1_000) =>
        Apply((kv, batch) => MvccActions.Gc(kv, batch, Bytes(start), Bytes(end), safePoint, maxKeys));

    /// <summary>Prewrites and commits one transaction, asserting that both succeed.</summary>
    public void Write(ulong startTs, ulong commitTs, params TxnMutation[] mutations)
    {
        var keys = Array.ConvertAll(mutations, m => m.Key);
        Assert.Empty(Apply((kv, batch) => MvccActions.Prewrite(kv, batch, mutations, keys[0], startTs, DefaultTtlMs)));
        Assert.Empty(Apply((kv, batch) => MvccActions.Commit(kv, batch, keys, startTs, commitTs)));
    }

    /// <summary>The value of <paramref name="key"/> at <paramref name="readTs"/>, or null; asserts that nothing blocked the read.</summary>
    public string? Get(string key, ulong readTs)
    {
        var result = Reader.Get(Bytes(key), readTs);
        Assert.Null(result.Error);
        Assert.Empty(result.Locks);
        return result.Pairs.Count == 0 ? null : Text(Assert.Single(result.Pairs).Value);
    }

    /// <summary>Every entry of a column family as "key hex = value hex", in key order.</summary>
    public List<string> Dump(KvColumn column) => Dump(Engine, column);

    public static List<string> Dump(KvEngine engine, KvColumn column)
    {
        var entries = new List<string>();
        var (start, end) = KvKeys.WholeColumn();
        using var cursor = engine.Db.Iterate(column, start, end);
        for (; cursor.Valid; cursor.Next())
        {
            entries.Add($"{Convert.ToHexString(cursor.Key)}={Convert.ToHexString(cursor.Value)}");
        }
        return entries;
    }

    public void Dispose() => _temp.Dispose();

    private static byte[][] Keys(string[] keys) => Array.ConvertAll(keys, Bytes);
}
