using MultiRaft.Storage.Kv;
using static MultiRaft.Storage.Tests.Kv.TempEngine;

namespace MultiRaft.Storage.Tests.Kv;

public sealed class KvWriteBatchTests
{
    [Fact]
    public void Nothing_is_visible_before_write_and_everything_after()
    {
        using var temp = new TempEngine();
        using var batch = temp.Engine.NewWriteBatch();
        batch.Put(Bytes("a"), Bytes("1"));
        batch.SetApplyState(1, new ApplyState(10, 2));

        Assert.Null(temp.Engine.Get(Bytes("a")));
        Assert.Null(temp.Engine.GetApplyState(1));

        temp.Engine.Write(batch, sync: false);

        Assert.Equal("1", Text(temp.Engine.Get(Bytes("a"))));
        Assert.Equal(new ApplyState(10, 2), temp.Engine.GetApplyState(1));
    }

    [Fact]
    public void Puts_deletes_range_deletes_and_apply_state_land_together_in_order()
    {
        using var temp = new TempEngine();
        temp.Fill(10, appliedIndex: 5);

        using var batch = temp.Engine.NewWriteBatch();
        batch.DeleteRange(Bytes("k0002"), Bytes("k0005"));
        batch.Put(Bytes("k0003"), Bytes("again"));
        batch.Delete(Bytes("k0007"));
        batch.Put(Bytes("new"), Bytes("x"));
        batch.SetApplyState(1, new ApplyState(6, 1));
        Assert.Equal(5, batch.Count);
        temp.Engine.Write(batch, sync: true);

        var keys = temp.Engine.Scan([], [], 100).Select(p => Text(p.Key));
        Assert.Equal(["k0000", "k0001", "k0003", "k0005", "k0006", "k0008", "k0009", "new"], keys);
        Assert.Equal("again", Text(temp.Engine.Get(Bytes("k0003"))));
        Assert.Equal(new ApplyState(6, 1), temp.Engine.GetApplyState(1));
    }

    [Fact]
    public void Operations_staged_out_of_key_order_keep_their_meaning()
    {
        using var temp = new TempEngine();
        temp.Fill(10, appliedIndex: 5);

        // Later operations on a key win, and a range deletion removes only what was staged before it.
        using var batch = temp.Engine.NewWriteBatch();
        batch.Put(Bytes("z"), Bytes("first"));
        batch.Put(Bytes("b"), Bytes("1"));
        batch.Delete(Bytes("z"));
        batch.Put(Bytes("a"), Bytes("1"));
        batch.Put(Bytes("z"), Bytes("last"));
        batch.Put(Bytes("k0004"), Bytes("before the range: deleted"));
        batch.Put(Bytes("b"), Bytes("2"));
        batch.Put(Bytes("y"), Bytes("gone"));
        batch.DeleteRange(Bytes("k0002"), Bytes("k0006"));
        batch.Put(Bytes("k0003"), Bytes("after the range: kept"));
        batch.Delete(Bytes("y"));
        batch.Delete(Bytes("k0000"));
        batch.Put(Bytes("k0000"), Bytes("back"));
        temp.Engine.Write(batch, sync: false);

        Assert.Equal("last", Text(temp.Engine.Get(Bytes("z"))));
        Assert.Equal("2", Text(temp.Engine.Get(Bytes("b"))));
        Assert.Equal("back", Text(temp.Engine.Get(Bytes("k0000"))));
        Assert.Null(temp.Engine.Get(Bytes("y")));
        Assert.Null(temp.Engine.Get(Bytes("k0004")));
        Assert.Equal("after the range: kept", Text(temp.Engine.Get(Bytes("k0003"))));
        var keys = temp.Engine.Scan([], [], 100).Select(p => Text(p.Key));
        Assert.Equal(["a", "b", "k0000", "k0001", "k0003", "k0006", "k0007", "k0008", "k0009", "z"], keys);
    }

    [Fact]
    public void A_rolled_back_save_point_drops_exactly_what_was_staged_after_it()
    {
        using var temp = new TempEngine();
        using var batch = temp.Engine.NewWriteBatch();
        batch.Put(Bytes("kept"), Bytes("1"));
        using (batch.BeginSavePoint())
        {
            batch.Put(Bytes("dropped"), Bytes("2"));
            batch.DeleteRange(Bytes("a"), Bytes("z"));
            batch.Put(Bytes("kept"), Bytes("overwritten, then dropped"));
        }
        using (var savePoint = batch.BeginSavePoint())
        {
            batch.Put(Bytes("also kept"), Bytes("3"));
            savePoint.Keep();
        }
        Assert.Equal(2, batch.Count);
        temp.Engine.Write(batch, sync: false);

        Assert.Equal("1", Text(temp.Engine.Get(Bytes("kept"))));
        Assert.Equal("3", Text(temp.Engine.Get(Bytes("also kept"))));
        Assert.Null(temp.Engine.Get(Bytes("dropped")));
    }

    [Fact]
    public void A_batch_can_be_cleared_and_reused()
    {
        using var temp = new TempEngine();
        using var batch = temp.Engine.NewWriteBatch();
        batch.Put(Bytes("dropped"), Bytes("1"));
        batch.Clear();
        Assert.Equal(0, batch.Count);
        batch.Put(Bytes("kept"), Bytes("2"));
        temp.Engine.Write(batch, sync: false);

        Assert.Null(temp.Engine.Get(Bytes("dropped")));
        Assert.Equal("2", Text(temp.Engine.Get(Bytes("kept"))));
    }

    [Fact]
    public void Region_state_round_trips_through_the_batch()
    {
        using var temp = new TempEngine();
        var region = Region(5, "", "") with { Epoch = new RegionEpoch(ulong.MaxValue, 0) };
        using var batch = temp.Engine.NewWriteBatch();
        batch.SetRegionState(region);
        batch.SetApplyState(5, new ApplyState(ulong.MaxValue, ulong.MaxValue));
        temp.Engine.Write(batch, sync: false);

        Assert.Equal(region, temp.Engine.GetRegionState(5));
        Assert.Equal(new ApplyState(ulong.MaxValue, ulong.MaxValue), temp.Engine.GetApplyState(5));
        Assert.Null(temp.Engine.GetRegionState(6));
    }

    [Fact]
    public void A_batch_from_another_engine_is_refused()
    {
        using var first = new TempEngine();
        using var second = new TempEngine();
        using var batch = first.Engine.NewWriteBatch();
        batch.Put(Bytes("a"), Bytes("1"));
        Assert.Throws<ArgumentException>(() => second.Engine.Write(batch, sync: false));
        Assert.Null(second.Engine.Get(Bytes("a")));
    }
}
