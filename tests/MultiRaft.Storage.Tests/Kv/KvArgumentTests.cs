using MultiRaft.Storage.Kv;
using static MultiRaft.Storage.Tests.Kv.TempEngine;

namespace MultiRaft.Storage.Tests.Kv;

public sealed class KvArgumentTests
{
    private static readonly KvEngineOptions Small = new() { MaxKeyBytes = 16, MaxValueBytes = 32 };

    [Fact]
    public void Bad_keys_and_values_are_rejected_and_leave_the_batch_unchanged()
    {
        using var temp = new TempEngine(Small);
        using var batch = temp.Engine.NewWriteBatch();
        batch.Put(Bytes("good"), Bytes("1"));

        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => batch.Put([], Bytes("1"))).Message, StringComparison.Ordinal);
        Assert.Contains("limit", Assert.Throws<ArgumentException>(() => batch.Put(new byte[17], Bytes("1"))).Message, StringComparison.Ordinal);
        Assert.Contains("limit", Assert.Throws<ArgumentException>(() => batch.Put(Bytes("k"), new byte[33])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => batch.Delete([]));
        Assert.Throws<ArgumentException>(() => batch.Delete(new byte[17]));
        Assert.Throws<ArgumentException>(() => batch.DeleteRange(Bytes("b"), Bytes("a")));
        Assert.Throws<ArgumentException>(() => batch.DeleteRange(Bytes("a"), Bytes("a")));
        Assert.Throws<ArgumentException>(() => batch.SetRegionState(Region(1, "z", "a")));
        Assert.Throws<ArgumentException>(() => batch.SetRegionState(
            Region(1, "a", "b") with { Peers = [new RegionPeer(1, 1, PeerRole.Voter), new RegionPeer(1, 2, PeerRole.Voter)] }));
        Assert.Throws<ArgumentException>(() => batch.SetRegionState(
            Region(1, "a", "b") with { Peers = [new RegionPeer(1, 1, (PeerRole)7)] }));
        Assert.Equal(1, batch.Count);

        batch.Put(new byte[16], new byte[32]);
        temp.Engine.Write(batch, sync: false);
        Assert.Equal(2, temp.Engine.Scan([], [], 10).Count);
    }

    [Fact]
    public void Bad_read_arguments_are_rejected()
    {
        using var temp = new TempEngine(Small);
        Assert.Throws<ArgumentException>(() => temp.Engine.Get([]));
        Assert.Throws<ArgumentException>(() => temp.Engine.Get(new byte[17]));
        Assert.Throws<ArgumentException>(() => temp.Engine.Scan(Bytes("b"), Bytes("a"), 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => temp.Engine.Scan([], [], 0));
        Assert.Throws<ArgumentException>(() => temp.Engine.GetMiddleKey(Bytes("b"), Bytes("b")));
        Assert.Throws<ArgumentException>(() => temp.Engine.GetApproximateStats(new byte[17], []));
        Assert.Throws<ArgumentException>(() => temp.Engine.DeleteRange(Bytes("b"), Bytes("a"), sync: false));
    }
}
