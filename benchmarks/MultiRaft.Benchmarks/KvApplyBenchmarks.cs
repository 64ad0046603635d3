using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using MultiRaft.Storage.Kv;

namespace MultiRaft.Benchmarks;

/// <summary>
/// Apply throughput of the KV engine: one operation is one 100-byte value put, written in batches of 256 keys
/// together with the region's apply state, as the apply path does. Every put is a new 16-byte key, either
/// ascending (appends: the memtable's best case) or scattered (a bijection of a counter: each insert walks the
/// memtable's skiplist through cold cache lines, the worst case). With Sync the write-ahead log is fsynced once
/// per batch.
/// </summary>
[MemoryDiagnoser]
public class KvApplyBenchmarks
{
    private const int BatchKeys = 256;
    private const int ValueBytes = 100;

    private readonly byte[] _key = new byte[16];
    private readonly byte[] _value = new byte[ValueBytes];
    private string _directory = "";
    private KvEngine _engine = null!;
    private KvWriteBatch _batch = null!;
    private ulong _applied;

    public enum KeyOrder
    {
        Ascending,
        Scattered,
    }

    [Params(false, true)]
    public bool Sync { get; set; }

    [Params(KeyOrder.Ascending, KeyOrder.Scattered)]
    public KeyOrder Keys { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "multiraft-kv-bench-" + Guid.NewGuid().ToString("N"));
        _engine = KvEngine.Open(_directory);
        _batch = _engine.NewWriteBatch();
        new Random(42).NextBytes(_value);
        "user"u8.CopyTo(_key);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batch.Dispose();
        _engine.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = BatchKeys)]
    public void ApplyBatch()
    {
        // An odd multiplier makes the counter-to-key map a bijection: unique keys in scattered order.
        var multiplier = Keys == KeyOrder.Scattered ? 0x9E3779B97F4A7C15UL : 1UL;
        _batch.Clear();
        for (var i = 0; i < BatchKeys; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(_key.AsSpan(8), (_applied * BatchKeys + (ulong)i) * multiplier);
            _batch.Put(_key, _value);
        }
        _applied++;
        _batch.SetApplyState(1, new ApplyState(_applied, 1));
        _engine.Write(_batch, Sync);
    }
}
