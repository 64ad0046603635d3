using MultiRaft.Protocol.Kv;
using static MultiRaft.Client.Tests.ClusterOps;

namespace MultiRaft.Client.Tests;

/// <summary>Batch calls over many regions, and batches larger than one request may be.</summary>
public sealed class BatchTests
{
    [Fact]
    public async Task Batch_put_get_and_delete_range_span_many_regions()
    {
        await using var cluster = await StartClusterAsync();
        // 20 regions: [-, k01), [k01, k02), ..., [k19, +inf).
        var regions = await SplitAsync(cluster, B("a"), [.. Enumerable.Range(1, 19).Select(i => B($"k{i:D2}"))]);
        Assert.Equal(20, regions.Length);
        await using var client = cluster.NewClient();

        var keys = Enumerable.Range(0, 3000).Select(i => $"k{i % 20:D2}-{i:D5}").ToList();
        var random = new Random(8);
        var shuffled = keys.OrderBy(_ => random.Next()).ToList();
        await client.BatchPutAsync([.. shuffled.Select(k => new KvEntry(B(k), B("v" + k)))]);

        // Request order, absent keys left out, a repeated key answered twice.
        var asked = shuffled.Take(500).Concat(["k05-absent", "a-absent", shuffled[0]]).Reverse().ToList();
        var found = await client.BatchGetAsync([.. asked.Select(B)]);
        Assert.Equal(asked.Where(k => !k.Contains("absent", StringComparison.Ordinal)).ToList(), found.Select(p => S(p.Key)).ToList());
        Assert.All(found, p => Assert.Equal("v" + S(p.Key), S(p.Value)));

        var all = await client.ScanAsync([], [], 10_000);
        Assert.Equal(keys.Order(StringComparer.Ordinal).ToList(), all.Select(p => S(p.Key)).ToList());

        // Across regions k03..k16: one DeleteRange per region, and nothing outside the range goes.
        await client.DeleteRangeAsync(B("k03-00100"), B("k16"));
        var left = (await client.ScanAsync([], [], 10_000)).Select(p => S(p.Key)).ToList();
        var expected = keys.Where(k => string.CompareOrdinal(k, "k03-00100") < 0 || string.CompareOrdinal(k, "k16") >= 0).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, left);

        // An open end reaches the last region.
        await client.DeleteRangeAsync(B("k18"), []);
        Assert.Empty(await client.ScanAsync(B("k18"), [], 100));
        Assert.NotEmpty(await client.ScanAsync(B("k17"), [], 100));
    }

    [Fact]
    public async Task Batches_over_the_per_request_limits_are_cut_into_requests()
    {
        await using var cluster = await StartClusterAsync();
        await using var client = cluster.NewClient();

        // 25,000 keys in one region: more than the 10,000 a store takes per request.
        var many = Enumerable.Range(0, 25_000).Select(i => new KvEntry(B($"n{i:D6}"), B("x"))).ToList();
        await client.BatchPutAsync(many);
        var found = await client.BatchGetAsync([.. many.Select(p => p.Key)]);
        Assert.Equal(25_000, found.Count);

        // Three 5 MiB values: 15 MiB, more than the 12 MiB a store takes in one write.
        var big = Enumerable.Range(0, 3).Select(i => new KvEntry(B($"big{i}"), Enumerable.Repeat((byte)('a' + i), 5 << 20).ToArray())).ToList();
        await client.BatchPutAsync(big);
        var back = await client.BatchGetAsync([.. big.Select(p => p.Key)]);
        Assert.Equal(big.Select(p => p.Value), back.Select(p => p.Value));

        // A key given twice is written with its last value.
        await client.BatchPutAsync([new KvEntry(B("twice"), B("1")), new KvEntry(B("other"), B("o")), new KvEntry(B("twice"), B("2"))]);
        Assert.Equal(B("2"), await client.GetAsync(B("twice")));
    }

    [Fact]
    public async Task A_scan_across_100_regions_returns_every_key_once_in_order()
    {
        await using var cluster = await StartClusterAsync();
        // 99 split keys, at most 64 per admin call: 64 on the first region, then 35 on the last one it made.
        var first = await SplitAsync(cluster, B("a"), [.. Enumerable.Range(1, 64).Select(i => B($"s{i:D3}"))]);
        Assert.Equal(65, first.Length);
        var second = await SplitAsync(cluster, B("s064"), [.. Enumerable.Range(65, 35).Select(i => B($"s{i:D3}"))]);
        Assert.Equal(36, second.Length);
        await using var client = cluster.NewClient();

        var keys = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            keys.AddRange(Enumerable.Range(0, 7).Select(j => $"s{i:D3}-{j}"));
        }
        keys.Add("a-before-all");
        await client.BatchPutAsync([.. keys.Select(k => new KvEntry(B(k), B(k)))]);
        var ordered = keys.Order(StringComparer.Ordinal).ToList();

        var all = await client.ScanAsync([], [], 100_000);
        Assert.Equal(ordered, all.Select(p => S(p.Key)).ToList());
        // A limit that stops inside a region, and a range that starts and ends inside regions.
        Assert.Equal(ordered.Take(250), (await client.ScanAsync([], [], 250)).Select(p => S(p.Key)));
        var middle = await client.ScanAsync(B("s010-3"), B("s090-2"), 100_000);
        Assert.Equal(ordered.Where(k => string.CompareOrdinal(k, "s010-3") >= 0 && string.CompareOrdinal(k, "s090-2") < 0), middle.Select(p => S(p.Key)));
    }
}
