using MultiRaft.Raft;
using MultiRaft.Storage.RaftLog;
using static MultiRaft.Storage.Tests.RaftLog.LogEngineFixture;

namespace MultiRaft.Storage.Tests.RaftLog;

public class RecoveryAndPurgeTests
{
    private static string SegmentFile(string directory) =>
        Directory.EnumerateFiles(directory).Single(f => Path.GetFileName(f).EndsWith(".log.0", StringComparison.Ordinal));

    [Fact]
    public void A_damaged_record_is_cut_off_with_everything_after_it_and_later_writes_survive_restarts()
    {
        using var fx = new LogEngineFixture();
        fx.Write(1, MakeEntries(1, 5, term: 1), new HardState(1, 1, 5));
        var damagedFrom = fx.Engine.Stats().TailAddress;
        fx.Write(1, MakeEntries(6, 5, term: 1), new HardState(1, 1, 10));
        fx.Write(1, MakeEntries(11, 5, term: 1), new HardState(1, 1, 15));
        var tailBefore = fx.Engine.Stats().TailAddress;
        fx.Engine.Dispose();

        // Flip a byte inside the first record of the second batch.
        using (var file = new FileStream(SegmentFile(fx.Directory), FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = damagedFrom + 24;
            var b = file.ReadByte();
            file.Position = damagedFrom + 24;
            file.WriteByte((byte)(b ^ 0x5A));
        }

        var engine = fx.Reopen();
        Assert.Equal(5UL, engine.LastIndex(1));
        Assert.Equal(new HardState(1, 1, 5), engine.HardState(1));
        AssertSame(MakeEntries(1, 5, term: 1), fx.Read(1, 1, 6));
        Assert.Equal([(damagedFrom, tailBefore)], engine.CutOffRanges);

        // New writes land after the damage; the next restart jumps over it and keeps them.
        fx.Write(1, MakeEntries(6, 3, term: 2, tag: "after"), new HardState(2, 1, 8));
        engine = fx.Reopen();
        Assert.Equal(8UL, engine.LastIndex(1));
        Assert.Equal(new HardState(2, 1, 8), engine.HardState(1));
        AssertSame([.. MakeEntries(1, 5, term: 1), .. MakeEntries(6, 3, term: 2, tag: "after")], fx.Read(1, 1, 9));
    }

    [Fact]
    public void Purge_rewrites_an_idle_region_so_it_does_not_pin_the_disk()
    {
        using var fx = new LogEngineFixture();
        var idle = MakeEntries(1, 5, term: 1, tag: "idle");
        fx.Write(1, idle, new HardState(1, 1, 5));
        // An active region writes well past several 256 KiB segments, compacting as it applies.
        ulong next = 1;
        for (var round = 0; round < 40; round++)
        {
            fx.Write(2, MakeEntries(next, 50, term: 1, size: 500), new HardState(1, 2, next + 49));
            next += 50;
            fx.Engine.Compact(2, next - 10);
        }
        fx.Engine.Sync();
        var before = fx.Engine.Stats();
        var segmentsBefore = Directory.EnumerateFiles(fx.Directory).Count(f => Path.GetFileName(f).Contains(".log.", StringComparison.Ordinal));

        var result = fx.Engine.Purge(maxRewriteBytes: 1024 * 1024);

        Assert.Contains(1UL, result.Rewritten);
        Assert.Empty(result.MustCompact);
        Assert.True(result.BeginAddress > before.BeginAddress + 512 * 1024, $"begin {result.BeginAddress} did not move past the old segments");
        // FasterLog deletes the truncated segment files in the background, shortly after the commit.
        var segmentsAfter = segmentsBefore;
        for (var wait = 0; wait < 100 && segmentsAfter >= segmentsBefore; wait++)
        {
            Thread.Sleep(50);
            segmentsAfter = Directory.EnumerateFiles(fx.Directory).Count(f => Path.GetFileName(f).Contains(".log.", StringComparison.Ordinal));
        }
        Assert.True(segmentsAfter < segmentsBefore, $"segments {segmentsBefore} -> {segmentsAfter} after 5 s: no disk space came back");

        fx.Reopen();
        AssertSame(idle, fx.Read(1, 1, 6));
        Assert.Equal(new HardState(1, 1, 5), fx.Engine.HardState(1));
        Assert.Equal(next - 9, fx.Engine.FirstIndex(2));
        AssertSame(MakeEntries(next - 9, 9, term: 1, size: 500), fx.Read(2, next - 9, next));
        Assert.Equal(new HardState(1, 2, next - 1), fx.Engine.HardState(2));
    }

    [Fact]
    public void Purge_copies_nothing_until_a_whole_segment_could_be_freed()
    {
        using var fx = new LogEngineFixture();
        fx.Write(1, MakeEntries(1, 20, term: 1, size: 500), new HardState(1, 1, 20));
        fx.Engine.Compact(1, 15);
        var before = fx.Engine.Stats();

        var result = fx.Engine.Purge(maxRewriteBytes: 1024 * 1024);

        // Less than one 256 KiB segment of log: rewriting region 1 would free no file.
        Assert.Empty(result.Rewritten);
        Assert.Equal(before.BeginAddress, result.BeginAddress);
        Assert.Equal(before.TailAddress, fx.Engine.Stats().TailAddress);
        AssertSame(MakeEntries(16, 5, term: 1, size: 500), fx.Read(1, 16, 21));
    }

    [Fact]
    public void A_lagging_region_too_big_to_rewrite_holds_the_begin_address_until_it_compacts()
    {
        using var fx = new LogEngineFixture();
        fx.Write(3, MakeEntries(1, 400, term: 1, size: 500));
        for (var round = 0; round < 10; round++)
        {
            // Region 4 keeps up and compacts as it goes.
            fx.Write(4, MakeEntries((ulong)round * 50 + 1, 50, term: 1, size: 500));
            fx.Engine.Compact(4, (ulong)round * 50 + 40);
        }
        var oldest = fx.Engine.RegionStats(3).OldestLiveAddress;

        var held = fx.Engine.Purge(maxRewriteBytes: 64 * 1024);
        Assert.Equal([3UL], held.MustCompact);
        Assert.True(held.BeginAddress <= oldest);
        AssertSame(MakeEntries(1, 400, term: 1, size: 500), fx.Read(3, 1, 401));

        fx.Engine.Compact(3, 395);
        var freed = fx.Engine.Purge(maxRewriteBytes: 64 * 1024);
        Assert.Empty(freed.MustCompact);
        Assert.True(freed.BeginAddress > oldest);

        fx.Reopen();
        AssertSame(MakeEntries(396, 5, term: 1, size: 500), fx.Read(3, 396, 401));
        AssertSame(MakeEntries(1, 500, term: 1, size: 500)[^10..], fx.Read(4, 491, 501));
    }

    [Fact]
    public void Stats_report_live_bytes_and_the_oldest_live_address_per_region()
    {
        using var fx = new LogEngineFixture();
        fx.Write(1, MakeEntries(1, 10, term: 1, size: 100));
        var stats = fx.Engine.RegionStats(1);
        Assert.Equal(10 * (100 + 13), stats.LiveBytes);
        Assert.True(stats.OldestLiveAddress >= fx.Engine.Stats().BeginAddress);
        fx.Engine.Compact(1, 5);
        Assert.Equal(5 * (100 + 13), fx.Engine.RegionStats(1).LiveBytes);
        Assert.Equal(5 * (100 + 13), fx.Engine.Stats().LiveBytes);
    }
}
