using MultiRaft.Storage.Kv;
using static MultiRaft.Storage.Tests.Kv.TempEngine;

namespace MultiRaft.Storage.Tests.Kv;

public sealed class KvScanTests
{
    [Fact]
    public void Scans_return_keys_in_order_within_start_inclusive_end_exclusive()
    {
        using var temp = new TempEngine();
        temp.Fill(20);

        var keys = temp.Engine.Scan(Bytes("k0005"), Bytes("k0009"), 100).Select(p => Text(p.Key));

        Assert.Equal(["k0005", "k0006", "k0007", "k0008"], keys);
    }

    [Fact]
    public void Empty_bounds_mean_minus_and_plus_infinity()
    {
        using var temp = new TempEngine();
        temp.Fill(5);
        using (var batch = temp.Engine.NewWriteBatch())
        {
            batch.Put([0x00], Bytes("lowest"));
            batch.Put([0xFF, 0xFF], Bytes("highest"));
            temp.Engine.Write(batch, sync: false);
        }

        var all = temp.Engine.Scan([], [], 100);

        Assert.Equal(7, all.Count);
        Assert.Equal([0x00], all[0].Key);
        Assert.Equal([0xFF, 0xFF], all[^1].Key);
        Assert.Equal(3, temp.Engine.Scan(Bytes("k0003"), [], 100).Count);
        Assert.Equal(2, temp.Engine.Scan([], Bytes("k0001"), 100).Count);
    }

    [Fact]
    public void Limits_cut_the_scan_and_a_resumed_scan_continues_after_the_last_key()
    {
        using var temp = new TempEngine();
        temp.Fill(10);

        var first = temp.Engine.Scan([], [], 4);
        byte[] resume = [.. first[^1].Key, 0x00];
        var second = temp.Engine.Scan(resume, [], 4);

        Assert.Equal(["k0000", "k0001", "k0002", "k0003"], first.Select(p => Text(p.Key)));
        Assert.Equal(["k0004", "k0005", "k0006", "k0007"], second.Select(p => Text(p.Key)));
    }

    [Fact]
    public void Scans_return_values_and_skip_deleted_keys()
    {
        using var temp = new TempEngine();
        using (var batch = temp.Engine.NewWriteBatch())
        {
            batch.Put(Bytes("a"), Bytes("1"));
            batch.Put(Bytes("b"), Bytes("2"));
            batch.Put(Bytes("c"), Bytes("3"));
            batch.Delete(Bytes("b"));
            temp.Engine.Write(batch, sync: false);
        }

        var pairs = temp.Engine.Scan([], [], 10);

        Assert.Equal(["a=1", "c=3"], pairs.Select(p => $"{Text(p.Key)}={Text(p.Value)}"));
    }

    [Fact]
    public void Delete_range_clears_exactly_the_region_range()
    {
        using var temp = new TempEngine();
        temp.Fill(10);

        temp.Engine.DeleteRange(Bytes("k0003"), Bytes("k0007"), sync: true);

        var keys = temp.Engine.Scan([], [], 100).Select(p => Text(p.Key));
        Assert.Equal(["k0000", "k0001", "k0002", "k0007", "k0008", "k0009"], keys);

        temp.Engine.DeleteRange(Bytes("k0008"), [], sync: false);
        Assert.Equal(4, temp.Engine.Scan([], [], 100).Count);
        temp.Engine.DeleteRange([], [], sync: false);
        Assert.Empty(temp.Engine.Scan([], [], 100));
    }

    [Fact]
    public void Delete_range_leaves_meta_untouched()
    {
        using var temp = new TempEngine();
        temp.Fill(10, regionId: 3, appliedIndex: 8);
        temp.Engine.DeleteRange([], [], sync: false);
        Assert.Equal(new ApplyState(8, 1), temp.Engine.GetApplyState(3));
    }
}
