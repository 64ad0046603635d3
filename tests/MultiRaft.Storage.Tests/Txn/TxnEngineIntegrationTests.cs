using MultiRaft.Storage.Kv;
using MultiRaft.Storage.Txn;
using Xunit.Abstractions;
using static MultiRaft.Storage.Tests.Kv.TempEngine;
using static MultiRaft.Storage.Tests.Txn.TxnEngine;

namespace MultiRaft.Storage.Tests.Txn;

/// <summary>The transactional key spaces in the engine's region-wide operations: snapshots, destroy, stats, splits.</summary>
public sealed class TxnEngineIntegrationTests(ITestOutputHelper output)
{
    private static readonly KvColumn[] AllColumns = [KvColumn.Data, KvColumn.Lock, KvColumn.Write];

    [Fact]
    public void A_region_snapshot_carries_every_key_space_and_the_gc_safe_point()
    {
        using var source = new TxnEngine(new KvEngineOptions { SnapshotChunkBytes = 1024 });
        using var target = new TxnEngine();
        FillRegionAndNeighbours(source);
        source.Gc("", "", safePoint: 15);
        SetRegion(source.Engine, Region(7, "b", "d"));
        // The target holds stale data of the range in every key space, and data outside it.
        FillRegionAndNeighbours(target);
        target.Write(90, 95, Put("c-stale", "x"));
        Assert.Empty(target.Prewrite(96, "b-stale", Put("b-stale", "x")));
        var outside = AllColumns.Select(c => Dump(target.Engine, c).Where(e => !InRegion(e)).ToList()).ToList();

        var stream = new MemoryStream();
        var exported = source.Engine.ExportSnapshot(7, stream);
        stream.Position = 0;
        var imported = target.Engine.ImportSnapshot(stream, sync: false);

        Assert.Equal(exported, imported);
        Assert.True(exported.Chunks > 4, $"{exported.Chunks} chunks");
        foreach (var (column, i) in AllColumns.Select((c, i) => (c, i)))
        {
            Assert.Equal(Dump(source.Engine, column).Where(InRegion), Dump(target.Engine, column).Where(InRegion));
            Assert.Equal(outside[i], Dump(target.Engine, column).Where(e => !InRegion(e)));
        }
        Assert.Equal(exported.Keys, AllColumns.Sum(c => Dump(source.Engine, c).Count(InRegion)));
        Assert.Equal(15UL, target.Engine.GcSafePoint);
        Assert.Equal("b1@30", target.Get("b1", 31));
        Assert.Equal(Long("b2@20"), target.Get("b2", 31));
        Assert.Equal(2, Dump(target.Engine, KvColumn.Data).Count(e => e.StartsWith("74", StringComparison.Ordinal) && InRegion(e)));
        Assert.Single(target.Reader.Scan(Bytes("b"), Bytes("d"), 10, 100).Locks);
        Assert.Empty(target.Commit(60, 70, "c2"));
        Assert.Equal(Long("open"), target.Get("c2", 70));
    }

    [Fact]
    public void DeleteRegionData_clears_every_key_space_of_the_range_and_DeleteRange_only_raw_keys()
    {
        using var txn = new TxnEngine();
        FillRegionAndNeighbours(txn);
        var outside = AllColumns.Select(c => txn.Dump(c).Where(e => !InRegion(e)).ToList()).ToList();

        txn.Engine.DeleteRange(Bytes("b"), Bytes("d"), sync: false);
        Assert.Equal("b1@30", txn.Get("b1", 31));
        Assert.Null(txn.Engine.Get(Bytes("b1")));

        using (var batch = txn.Engine.NewWriteBatch())
        {
            batch.DeleteRegionData(Bytes("b"), Bytes("d"));
            txn.Engine.Write(batch, sync: false);
        }

        foreach (var (column, i) in AllColumns.Select((c, i) => (c, i)))
        {
            Assert.Equal(outside[i], txn.Dump(column));
        }
        Assert.NotEmpty(outside[0]);
    }

    [Fact]
    public void Approximate_stats_count_transactional_keys()
    {
        using var txn = new TxnEngine();
        Assert.Equal(new RangeStats(0, 0), txn.Engine.GetApproximateStats([], []));

        for (var i = 0; i < 2_000; i += 100)
        {
            txn.Write((ulong)i + 10, (ulong)i + 11, [.. Enumerable.Range(i, 100).Select(k => Put($"k{k:D4}", new string('v', 100)))]);
        }
        var stats = txn.Engine.GetApproximateStats([], []);
        var half = txn.Engine.GetApproximateStats([], Bytes("k1000"));
        output.WriteLine($"all: {stats}; first half: {half}");

        Assert.InRange(stats.ApproximateBytes, 200_000UL, 2_000_000UL);
        Assert.InRange(stats.ApproximateKeys, 1_000UL, 4_000UL);
        Assert.True(half.ApproximateKeys < stats.ApproximateKeys, $"{half} vs {stats}");
    }

    [Fact]
    public void The_middle_key_merges_raw_and_transactional_keys_and_never_splits_versions()
    {
        using var txn = new TxnEngine();
        using (var batch = txn.Engine.NewWriteBatch())
        {
            for (var i = 0; i < 100; i++)
            {
                batch.Put(Bytes($"a{i:D3}"), new byte[100]);
            }
            txn.Engine.Write(batch, sync: false);
        }
        // b000..b009: ten keys of ten versions each, about as many bytes as the hundred raw keys.
        for (ulong version = 0; version < 10; version++)
        {
            txn.Write(10 + (2 * version), 11 + (2 * version), [.. Enumerable.Range(0, 10).Select(k => Put($"b{k:D3}", new string('v', 80)))]);
        }

        var middle = Text(txn.Engine.GetMiddleKey([], []));
        var txnMiddle = Text(txn.Engine.GetMiddleKey(Bytes("b"), []));
        output.WriteLine($"middle: {middle}; of the transactional keys: {txnMiddle}");

        Assert.True(string.CompareOrdinal(middle, "a080") > 0 && string.CompareOrdinal(middle, "b002") <= 0, middle);
        Assert.Matches("^b00[3-7]$", txnMiddle);
    }

    [Fact]
    public void A_directory_from_before_the_transactional_column_families_gains_them()
    {
        var directory = Path.Combine(Path.GetTempPath(), "multiraft-kv-" + Guid.NewGuid().ToString("N"));
        try
        {
            var families = new RocksDbSharp.ColumnFamilies();
            families.Add("data", new RocksDbSharp.ColumnFamilyOptions());
            families.Add("meta", new RocksDbSharp.ColumnFamilyOptions());
            var options = new RocksDbSharp.DbOptions().SetCreateIfMissing(true).SetCreateMissingColumnFamilies(true);
            using (RocksDbSharp.RocksDb.Open(options, directory, families))
            {
            }

            using var kv = KvEngine.Open(directory);
            using (var batch = kv.NewWriteBatch())
            {
                Assert.Empty(MvccActions.Prewrite(kv, batch, [Put("k", "v")], Bytes("k"), 10, 100));
                kv.Write(batch, sync: false);
            }
            Assert.Single(new MvccReader(kv).Get(Bytes("k"), 10).Locks);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // Raw keys a1, b1, c1, e1 and transactional keys a1..e1 with two versions, a rollback, a lock and an open lock;
    // their values are short (inside the lock and write records) but for b2's and the open lock's on c2 (in data).
    private static void FillRegionAndNeighbours(TxnEngine txn)
    {
        using (var batch = txn.Engine.NewWriteBatch())
        {
            foreach (var key in new[] { "a1", "b1", "c1", "e1" })
            {
                batch.Put(Bytes(key), Bytes($"raw {key}"));
            }
            txn.Engine.Write(batch, sync: false);
        }
        foreach (var key in new[] { "a1", "b1", "c1", "c2", "e1" })
        {
            txn.Write(10, 11, Put(key, $"{key}@10"));
            txn.Write(30, 31, Put(key, $"{key}@30"));
        }
        txn.Write(20, 21, Put("b2", Long("b2@20")));
        Assert.Empty(txn.Rollback(40, "b1", "e1"));
        txn.Write(50, 51, LockOnly("c1"));
        Assert.Empty(txn.Prewrite(60, "c2", Put("c2", Long("open")), Put("a1", "open")));
    }

    private static void SetRegion(KvEngine engine, RegionLocalState region)
    {
        using var batch = engine.NewWriteBatch();
        batch.SetRegionState(region);
        batch.SetApplyState(region.RegionId, new ApplyState(5, 1));
        engine.Write(batch, sync: false);
    }

    // Whether a dumped entry of the data, lock or write column family belongs to user range [b, d): its stored key
    // starts with 'r' (0x72) or 't' (0x74), then 'b' (0x62) or 'c' (0x63).
    private static bool InRegion(string entry) => entry[2..4] is "62" or "63";
}
