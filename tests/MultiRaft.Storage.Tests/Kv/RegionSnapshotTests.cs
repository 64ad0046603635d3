using System.Buffers.Binary;
using MultiRaft.Storage.Kv;
using static MultiRaft.Storage.Tests.Kv.TempEngine;

namespace MultiRaft.Storage.Tests.Kv;

public sealed class RegionSnapshotTests
{
    // Small chunks so that a few hundred keys make many chunks.
    private static readonly KvEngineOptions SmallChunks = new() { SnapshotChunkBytes = 4 * 1024 };

    [Fact]
    public void Export_then_import_on_another_engine_gives_identical_data_and_state()
    {
        using var source = new TempEngine(SmallChunks);
        using var target = new TempEngine(SmallChunks);
        var region = SetUpRegion(source.Engine, 7, "k0100", "k0400", appliedIndex: 77);
        source.Fill(500, valueBytes: 200, regionId: 99);

        var stream = Export(source.Engine, 7, out var exported);
        var imported = target.Engine.ImportSnapshot(stream, sync: true);

        Assert.Equal(300, exported.Keys);
        Assert.True(exported.Chunks > 10, $"{exported.Chunks} chunks");
        Assert.Equal(exported, imported);
        Assert.Equal(region, target.Engine.GetRegionState(7));
        Assert.Equal(new ApplyState(77, 3), target.Engine.GetApplyState(7));
        AssertSameData(source.Engine.Scan(Bytes("k0100"), Bytes("k0400"), 10_000), target.Engine.Scan([], [], 10_000));
    }

    [Fact]
    public void Every_chunk_stays_within_the_chunk_size_unless_one_entry_is_larger()
    {
        using var source = new TempEngine(SmallChunks);
        SetUpRegion(source.Engine, 1, "", "", appliedIndex: 1);
        source.Fill(200, valueBytes: 300);
        using (var batch = source.Engine.NewWriteBatch())
        {
            batch.Put(Bytes("k0100x"), new byte[10_000]);
            source.Engine.Write(batch, sync: false);
        }

        var stream = Export(source.Engine, 1, out _);
        var sizes = ChunkSizes(stream.ToArray());

        Assert.Contains(sizes, size => size > 4 * 1024);
        Assert.All(sizes, size => Assert.True(size <= 4 * 1024 || size is > 10_000 and < 10_020, $"chunk of {size}"));
        using var target = new TempEngine(SmallChunks);
        target.Engine.ImportSnapshot(new MemoryStream(stream.ToArray()), sync: false);
        Assert.Equal(10_000, target.Engine.Get(Bytes("k0100x"))!.Length);
    }

    [Fact]
    public void Import_clears_the_region_range_first_and_keeps_keys_outside_it()
    {
        using var source = new TempEngine();
        using var target = new TempEngine();
        SetUpRegion(source.Engine, 3, "b", "d", appliedIndex: 5);
        using (var batch = source.Engine.NewWriteBatch())
        {
            batch.Put(Bytes("b1"), Bytes("new"));
            source.Engine.Write(batch, sync: false);
        }
        using (var batch = target.Engine.NewWriteBatch())
        {
            batch.Put(Bytes("a"), Bytes("outside"));
            batch.Put(Bytes("b1"), Bytes("old"));
            batch.Put(Bytes("c9"), Bytes("stale"));
            batch.Put(Bytes("d"), Bytes("outside"));
            target.Engine.Write(batch, sync: false);
        }

        target.Engine.ImportSnapshot(Export(source.Engine, 3, out _), sync: false);

        Assert.Equal(["a=outside", "b1=new", "d=outside"], target.Engine.Scan([], [], 10).Select(p => $"{Text(p.Key)}={Text(p.Value)}"));
    }

    [Fact]
    public void An_empty_region_round_trips()
    {
        using var source = new TempEngine();
        using var target = new TempEngine();
        var region = SetUpRegion(source.Engine, 4, "x", "", appliedIndex: 6);

        var summary = target.Engine.ImportSnapshot(Export(source.Engine, 4, out _), sync: false);

        Assert.Equal(0, summary.Keys);
        Assert.Equal(region, target.Engine.GetRegionState(4));
    }

    [Fact]
    public void The_export_is_a_consistent_snapshot_even_if_writes_follow()
    {
        using var source = new TempEngine();
        SetUpRegion(source.Engine, 1, "", "", appliedIndex: 10);
        source.Fill(50, appliedIndex: 10);
        var stream = Export(source.Engine, 1, out _);
        source.Fill(80, appliedIndex: 11);

        using var target = new TempEngine();
        var summary = target.Engine.ImportSnapshot(stream, sync: false);

        Assert.Equal(50, summary.Keys);
        Assert.Equal(new ApplyState(10, 1), summary.Apply);
    }

    [Fact]
    public void A_corrupted_chunk_is_rejected_and_the_target_is_unchanged()
    {
        using var source = new TempEngine(SmallChunks);
        SetUpRegion(source.Engine, 7, "", "", appliedIndex: 20);
        source.Fill(300, valueBytes: 100, regionId: 7, appliedIndex: 20);
        var bytes = Export(source.Engine, 7, out _).ToArray();

        using var target = new TempEngine(SmallChunks);
        var before = SetUpRegion(target.Engine, 7, "", "", appliedIndex: 3);
        using (var batch = target.Engine.NewWriteBatch())
        {
            batch.Put(Bytes("k0001"), Bytes("target"));
            target.Engine.Write(batch, sync: false);
        }

        foreach (var offset in new[] { 3, 8, bytes.Length / 2, bytes.Length - 10, bytes.Length - 1 })
        {
            var corrupt = (byte[])bytes.Clone();
            corrupt[offset] ^= 0x40;
            var error = Assert.Throws<InvalidDataException>(() => target.Engine.ImportSnapshot(new MemoryStream(corrupt), sync: false));
            Assert.Contains("region snapshot", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(before, target.Engine.GetRegionState(7));
        Assert.Equal(new ApplyState(3, 3), target.Engine.GetApplyState(7));
        Assert.Equal(["k0001=target"], target.Engine.Scan([], [], 10).Select(p => $"{Text(p.Key)}={Text(p.Value)}"));
    }

    [Fact]
    public void A_truncated_stream_is_rejected_wherever_it_is_cut()
    {
        using var source = new TempEngine(SmallChunks);
        SetUpRegion(source.Engine, 2, "", "", appliedIndex: 9);
        source.Fill(100, valueBytes: 100, regionId: 2, appliedIndex: 9);
        var bytes = Export(source.Engine, 2, out _).ToArray();
        using var target = new TempEngine(SmallChunks);

        for (var length = 0; length < bytes.Length; length += 97)
        {
            var error = Assert.Throws<InvalidDataException>(
                () => target.Engine.ImportSnapshot(new MemoryStream(bytes, 0, length), sync: false));
            Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        }
        Assert.Throws<InvalidDataException>(() => target.Engine.ImportSnapshot(new MemoryStream(bytes, 0, bytes.Length - 1), sync: false));
        Assert.Empty(target.Engine.Scan([], [], 10));
        Assert.Null(target.Engine.GetRegionState(2));
    }

    [Fact]
    public void A_stream_missing_a_whole_chunk_is_rejected_by_the_end_checksum()
    {
        using var source = new TempEngine(SmallChunks);
        SetUpRegion(source.Engine, 2, "", "", appliedIndex: 9);
        source.Fill(100, valueBytes: 100, regionId: 2, appliedIndex: 9);
        var bytes = Export(source.Engine, 2, out _).ToArray();

        // Drop the second data chunk: every remaining chunk is intact, only the totals betray the loss.
        var (offset, length) = Chunks(bytes)[2];
        byte[] shortened = [.. bytes.AsSpan(0, offset), .. bytes.AsSpan(offset + length)];
        using var target = new TempEngine(SmallChunks);

        var error = Assert.Throws<InvalidDataException>(() => target.Engine.ImportSnapshot(new MemoryStream(shortened), sync: false));
        Assert.Contains("end chunk", error.Message, StringComparison.Ordinal);
        Assert.Empty(target.Engine.Scan([], [], 10));
    }

    [Fact]
    public void Garbage_and_keys_over_the_target_limits_are_rejected()
    {
        using var source = new TempEngine();
        SetUpRegion(source.Engine, 2, "", "", appliedIndex: 9);
        using (var batch = source.Engine.NewWriteBatch())
        {
            batch.Put(new byte[100], Bytes("long key"));
            source.Engine.Write(batch, sync: false);
        }
        var bytes = Export(source.Engine, 2, out _).ToArray();
        using var target = new TempEngine(new KvEngineOptions { MaxKeyBytes = 50 });

        Assert.Contains("key", Assert.Throws<InvalidDataException>(
            () => target.Engine.ImportSnapshot(new MemoryStream(bytes), sync: false)).Message, StringComparison.Ordinal);
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(
            () => target.Engine.ImportSnapshot(new MemoryStream(new byte[64]), sync: false)).Message, StringComparison.Ordinal);
        Assert.Empty(target.Engine.Scan([], [], 10));
    }

    [Fact]
    public void Exporting_a_region_without_state_or_a_tombstone_is_refused()
    {
        using var source = new TempEngine();
        Assert.Throws<InvalidOperationException>(() => source.Engine.ExportSnapshot(5, new MemoryStream()));
        using (var batch = source.Engine.NewWriteBatch())
        {
            batch.SetRegionState(Region(5, "", "") with { Tombstone = true });
            batch.SetApplyState(5, new ApplyState(1, 1));
            source.Engine.Write(batch, sync: false);
        }
        Assert.Throws<InvalidOperationException>(() => source.Engine.ExportSnapshot(5, new MemoryStream()));
    }

    private static RegionLocalState SetUpRegion(KvEngine engine, ulong regionId, string start, string end, ulong appliedIndex)
    {
        var region = Region(regionId, start, end);
        using var batch = engine.NewWriteBatch();
        batch.SetRegionState(region);
        batch.SetApplyState(regionId, new ApplyState(appliedIndex, 3));
        engine.Write(batch, sync: false);
        return region;
    }

    private static MemoryStream Export(KvEngine engine, ulong regionId, out RegionSnapshotSummary summary)
    {
        var stream = new MemoryStream();
        summary = engine.ExportSnapshot(regionId, stream);
        stream.Position = 0;
        return stream;
    }

    /// <summary>(offset, total length) of every chunk frame, header first.</summary>
    private static List<(int Offset, int Length)> Chunks(byte[] stream)
    {
        var chunks = new List<(int, int)>();
        for (var offset = 5; offset < stream.Length;)
        {
            var length = 1 + 4 + (int)BinaryPrimitives.ReadUInt32LittleEndian(stream.AsSpan(offset + 1)) + 4;
            chunks.Add((offset, length));
            offset += length;
        }
        return chunks;
    }

    private static List<int> ChunkSizes(byte[] stream) => [.. Chunks(stream).Select(c => c.Length - 9)];

    private static void AssertSameData(List<KvPair> expected, List<KvPair> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Key, actual[i].Key);
            Assert.Equal(expected[i].Value, actual[i].Value);
        }
    }
}
