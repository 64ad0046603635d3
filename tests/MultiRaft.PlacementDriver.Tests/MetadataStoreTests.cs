using MultiRaft.PlacementDriver.Storage;
using MultiRaft.Protocol.Metadata;

namespace MultiRaft.PlacementDriver.Tests;

public sealed class MetadataStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "multiraft-pd-meta-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string LogFile() => Assert.Single(Directory.GetFiles(_directory, "meta-*.log"));

    private static MetaRecord RegionRecord(ulong id, ulong version) =>
        MetaRecord.ForRegion(PdHarness.Region(id, "", "", 1, version, 1), new PeerInfo(id * 100 + 1, 1, false), 3);

    [Fact]
    public void A_torn_or_damaged_tail_never_loses_what_was_written_before()
    {
        using (var store = MetadataStore.Open(_directory))
        {
            store.Write(new MetaRecord(MetaRecordKind.ClusterId, 77), new MetaRecord(MetaRecordKind.IdHighWater, 1000));
            store.Write(RegionRecord(5, 1));
            store.Write(new MetaRecord(MetaRecordKind.IdHighWater, 2000));
        }
        var full = File.ReadAllBytes(LogFile());

        // Every possible cut inside the last record, and garbage after the whole log.
        var lastRecordStart = Prefix(full, 3);
        for (var cut = lastRecordStart; cut < full.Length; cut++)
        {
            File.WriteAllBytes(LogFile(), full[..cut]);
            using var store = MetadataStore.Open(_directory);
            Assert.Equal(77UL, store.Recovered.ClusterId);
            Assert.Equal(1000UL, store.Recovered.IdHighWater);
            Assert.Single(store.Recovered.Regions);
        }
        File.WriteAllBytes(LogFile(), [.. full, 0x13, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3]);
        using (var store = MetadataStore.Open(_directory))
        {
            Assert.Equal(11, store.DiscardedBytes);
            Assert.Equal(2000UL, store.Recovered.IdHighWater);
            store.Write(new MetaRecord(MetaRecordKind.IdHighWater, 3000)); // Appends after the cut, not after the garbage.
        }
        using (var store = MetadataStore.Open(_directory))
        {
            Assert.Equal(0, store.DiscardedBytes);
            Assert.Equal(3000UL, store.Recovered.IdHighWater);
        }

        // A flipped bit in a record's payload: that record and everything after it are dropped.
        var damaged = File.ReadAllBytes(LogFile());
        damaged[Prefix(damaged, 2) + 12] ^= 0x40;
        File.WriteAllBytes(LogFile(), damaged);
        using (var store = MetadataStore.Open(_directory))
        {
            Assert.Equal(1000UL, store.Recovered.IdHighWater);
            Assert.Empty(store.Recovered.Regions);
        }
    }

    [Fact]
    public void A_second_opener_of_the_same_directory_is_refused()
    {
        using var first = MetadataStore.Open(_directory);
        var error = Assert.Throws<IOException>(() => MetadataStore.Open(_directory));
        Assert.Contains("in use", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compaction_keeps_the_live_state_and_bounds_the_log()
    {
        using (var store = MetadataStore.Open(_directory, compactAfterBytes: 16 * 1024))
        {
            store.Write(new MetaRecord(MetaRecordKind.ClusterId, 9));
            store.Write(new MetaRecord(MetaRecordKind.PutStore, Store: new StoreInfo(1, "a:1", null, StoreState.Up, 0)));
            for (var round = 1UL; round <= 200; round++)
            {
                store.Write([.. Enumerable.Range(1, 20).Select(i => RegionRecord((ulong)i, round))]);
            }
            store.Write(new MetaRecord(MetaRecordKind.DeleteRegion, 7));
            Assert.True(store.LogBytes < 64 * 1024, $"log is {store.LogBytes} bytes");
        }
        // A compaction that crashed before its rename leaves a temporary file: it is ignored and removed.
        File.WriteAllBytes(Path.Combine(_directory, "meta-9999999999.log.tmp"), [1, 2, 3]);
        using (var store = MetadataStore.Open(_directory))
        {
            Assert.Equal(9UL, store.Recovered.ClusterId);
            Assert.Single(store.Recovered.Stores);
            Assert.Equal(19, store.Recovered.Regions.Count);
            Assert.All(store.Recovered.Regions.Values, r => Assert.Equal(200UL, r.Region.Epoch.Version));
            Assert.Equal(3UL, store.Recovered.Regions[5].Term);
            store.Compact();
        }
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));
        using (var store = MetadataStore.Open(_directory))
        {
            Assert.Equal(19, store.Recovered.Regions.Count);
        }
        LogFile(); // Exactly one generation left.
    }

    [Fact]
    public void The_gc_safe_point_is_recovered_from_the_log_and_kept_by_compaction()
    {
        using (var store = MetadataStore.Open(_directory))
        {
            Assert.Equal(0UL, store.Recovered.GcSafePoint);
            store.Write(new MetaRecord(MetaRecordKind.GcSafePoint, 500));
            store.Write(new MetaRecord(MetaRecordKind.GcSafePoint, 400)); // Out of order: the safe point never goes back.
        }
        using (var store = MetadataStore.Open(_directory))
        {
            Assert.Equal(500UL, store.Recovered.GcSafePoint);
            store.Compact();
        }
        using (var store = MetadataStore.Open(_directory))
        {
            Assert.Equal(500UL, store.Recovered.GcSafePoint);
        }
    }

    /// <summary>The byte offset where record <paramref name="index"/> (0-based) starts.</summary>
    private static int Prefix(byte[] log, int index)
    {
        var offset = 0;
        for (var i = 0; i < index; i++)
        {
            offset += 8 + BitConverter.ToInt32(log, offset);
        }
        return offset;
    }
}
