using MultiRaft.Storage.Kv;
using Xunit.Abstractions;
using static MultiRaft.Storage.Tests.Kv.TempEngine;

namespace MultiRaft.Storage.Tests.Kv;

public sealed class KvRangeStatsTests(ITestOutputHelper output)
{
    [Fact]
    public void Approximate_size_and_keys_grow_with_data()
    {
        using var temp = new TempEngine();
        var empty = temp.Engine.GetApproximateStats([], []);
        Assert.Equal(new RangeStats(0, 0), empty);

        temp.Fill(2_000, valueBytes: 100);
        var small = temp.Engine.GetApproximateStats([], []);
        temp.Fill(2_000, valueBytes: 100, prefix: "m");
        temp.Fill(2_000, valueBytes: 100, prefix: "n");
        var large = temp.Engine.GetApproximateStats([], []);
        output.WriteLine($"2,000 keys: {small}; 6,000 keys: {large}");

        Assert.True(small.ApproximateBytes > 0 && small.ApproximateKeys > 0, small.ToString());
        Assert.True(large.ApproximateBytes > small.ApproximateBytes, $"{large} after {small}");
        Assert.True(large.ApproximateKeys > small.ApproximateKeys, $"{large} after {small}");
    }

    [Fact]
    public void Stats_come_from_sst_files_after_reopen()
    {
        using var temp = new TempEngine();
        temp.Fill(4_000, valueBytes: 100);
        temp.Reopen(); // recovery flushes the write-ahead log into an SST file

        var all = temp.Engine.GetApproximateStats([], []);
        var half = temp.Engine.GetApproximateStats([], Bytes("k2000"));
        output.WriteLine($"all: {all}; first half: {half}");

        Assert.InRange(all.ApproximateKeys, 3_000UL, 5_000UL);
        Assert.InRange(all.ApproximateBytes, 100_000UL, 1_000_000UL);
        Assert.InRange(half.ApproximateKeys, 1_000UL, 3_000UL);
    }

    [Fact]
    public void Stats_of_a_sub_range_cover_only_that_range()
    {
        using var temp = new TempEngine();
        temp.Fill(3_000, valueBytes: 100, prefix: "a");
        temp.Fill(1_000, valueBytes: 100, prefix: "b");

        var a = temp.Engine.GetApproximateStats(Bytes("a"), Bytes("b"));
        var b = temp.Engine.GetApproximateStats(Bytes("b"), Bytes("c"));
        var none = temp.Engine.GetApproximateStats(Bytes("x"), Bytes("y"));
        output.WriteLine($"a: {a}; b: {b}; none: {none}");

        Assert.True(a.ApproximateBytes > b.ApproximateBytes, $"{a} vs {b}");
        Assert.True(a.ApproximateKeys > b.ApproximateKeys, $"{a} vs {b}");
        Assert.Equal(0UL, none.ApproximateKeys);
    }

    [Fact]
    public void Middle_key_lies_inside_the_range_and_halves_it()
    {
        using var temp = new TempEngine();
        temp.Fill(1_000, valueBytes: 64);

        var middle = temp.Engine.GetMiddleKey(Bytes("k0100"), Bytes("k0900"));
        output.WriteLine($"middle of [k0100, k0900): {Text(middle)}");

        Assert.NotNull(middle);
        var left = temp.Engine.Scan(Bytes("k0100"), middle, 10_000).Count;
        var right = temp.Engine.Scan(middle, Bytes("k0900"), 10_000).Count;
        Assert.Equal(800, left + right);
        Assert.InRange(left, 360, 440);
    }

    [Fact]
    public void Middle_key_weighs_entries_by_bytes()
    {
        using var temp = new TempEngine();
        temp.Fill(100, valueBytes: 1_000, prefix: "a");
        temp.Fill(900, valueBytes: 10, prefix: "b");

        var middle = temp.Engine.GetMiddleKey([], []);
        output.WriteLine($"middle: {Text(middle)}");

        // The 100 large entries hold about 90% of the bytes, so the middle falls among them.
        Assert.StartsWith("a00", Text(middle), StringComparison.Ordinal);
        Assert.InRange(int.Parse(Text(middle)[1..], System.Globalization.CultureInfo.InvariantCulture), 45, 65);
    }

    [Fact]
    public void Middle_key_needs_two_keys_and_never_returns_the_first()
    {
        using var temp = new TempEngine();
        Assert.Null(temp.Engine.GetMiddleKey([], []));
        temp.Fill(1);
        Assert.Null(temp.Engine.GetMiddleKey([], []));
        temp.Fill(2);
        Assert.Equal("k0001", Text(temp.Engine.GetMiddleKey([], [])));
    }
}
