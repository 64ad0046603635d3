using MultiRaft.Storage.Kv;
using static MultiRaft.Storage.Tests.Kv.TempEngine;

namespace MultiRaft.Storage.Tests.Kv;

public sealed class MetaCodecTests
{
    [Fact]
    public void Region_state_round_trips()
    {
        var states = new[]
        {
            Region(1, "a", "b"),
            Region(ulong.MaxValue, "", "") with { Peers = [], Tombstone = true },
            Region(2, "", "zz") with { Epoch = new RegionEpoch(ulong.MaxValue, ulong.MaxValue) },
        };
        foreach (var state in states)
        {
            Assert.Equal(state, MetaCodec.DecodeRegionState(MetaCodec.Encode(state)));
        }
    }

    [Fact]
    public void Encoding_is_compact()
    {
        // version, id, 2 one-byte keys, epoch, 3 peers of 3 bytes, flags.
        Assert.Equal(1 + 1 + 2 + 2 + 2 + 1 + 9 + 1, MetaCodec.Encode(Region(1, "a", "b")).Length);
        Assert.Equal(3, MetaCodec.Encode(new ApplyState(5, 1)).Length);
    }

    [Fact]
    public void Apply_state_round_trips()
    {
        foreach (var state in new[] { new ApplyState(0, 0), new ApplyState(127, 128), new ApplyState(ulong.MaxValue, 1) })
        {
            Assert.Equal(state, MetaCodec.DecodeApplyState(MetaCodec.Encode(state)));
        }
    }

    [Fact]
    public void Every_truncation_of_a_record_is_rejected()
    {
        var region = MetaCodec.Encode(Region(300, "start", "end-key"));
        for (var length = 0; length < region.Length; length++)
        {
            Assert.Throws<InvalidDataException>(() => MetaCodec.DecodeRegionState(region.AsSpan(0, length)));
        }
        var apply = MetaCodec.Encode(new ApplyState(1000, 7));
        for (var length = 0; length < apply.Length; length++)
        {
            Assert.Throws<InvalidDataException>(() => MetaCodec.DecodeApplyState(apply.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Malformed_bytes_are_rejected_with_a_message_naming_the_problem()
    {
        var good = MetaCodec.Encode(Region(1, "a", "b"));

        AssertRejected([.. good, 0x00], "trailing");
        AssertRejected([2, .. good[1..]], "version");
        AssertRejected([.. good[..^1], 0x02], "flags");
        AssertRejected(Patch(good, good.Length - 2, 9), "role"); // the last peer's role byte
        AssertRejected(MetaCodec.Encode(Region(1, "b", "a")), "start key");
        AssertRejected([1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], "overflows");
        AssertRejected([1, 0x81, 0x00], "shortest");
        AssertRejected([1, 1, 0x7F], "start key"); // a length far past the end
        Assert.Throws<InvalidDataException>(() => MetaCodec.DecodeApplyState([1, 5, 1, 0]));
        Assert.Throws<InvalidDataException>(() => MetaCodec.DecodeApplyState([]));
    }

    [Fact]
    public void A_peer_listed_twice_is_rejected()
    {
        // Encode bypasses the batch's argument checks, as a corrupt disk or a faulty peer would.
        var bytes = MetaCodec.Encode(Region(1, "a", "b") with
        {
            Peers = [new RegionPeer(4, 1, PeerRole.Voter), new RegionPeer(4, 2, PeerRole.Learner)],
        });
        AssertRejected(bytes, "twice");
    }

    [Fact]
    public void Corrupt_stored_meta_is_reported_as_a_storage_exception()
    {
        using var temp = new TempEngine();
        using (var batch = temp.Engine.NewWriteBatch())
        {
            batch.SetRegionState(Region(9, "a", "b"));
            batch.SetApplyState(9, new ApplyState(3, 1));
            temp.Engine.Write(batch, sync: false);
        }
        temp.Engine.Dispose();
        using (var db = RocksAdapter.Open(temp.Directory, new KvEngineOptions().MemtableBytes))
        using (var batch = db.NewBatch())
        {
            batch.Put(KvColumn.Meta, KvKeys.RegionStateKey(9), [1, 9, 0xEE]);
            batch.Put(KvColumn.Meta, KvKeys.ApplyStateKey(9), [7]);
            db.Write(batch, sync: false);
        }
        temp.Reopen();

        var region = Assert.Throws<StorageException>(() => temp.Engine.GetRegionState(9));
        Assert.Contains("region 9", region.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidDataException>(region.InnerException);
        Assert.Throws<StorageException>(() => temp.Engine.GetApplyState(9));
        Assert.Throws<StorageException>(() => temp.Engine.LoadRegionStates());
    }

    private static byte[] Patch(byte[] bytes, int index, byte value)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] = value;
        return copy;
    }

    private static void AssertRejected(byte[] bytes, string problem)
    {
        var error = Assert.Throws<InvalidDataException>(() => MetaCodec.DecodeRegionState(bytes));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }
}
