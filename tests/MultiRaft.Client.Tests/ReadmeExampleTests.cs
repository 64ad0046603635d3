using MultiRaft.Protocol.Kv;
using static MultiRaft.Client.Tests.ClusterOps;

namespace MultiRaft.Client.Tests;

/// <summary>The usage example of the README's client section, run against a real cluster. Keep the two in
/// step: the body of <see cref="Example"/> is the README's snippet.</summary>
public sealed class ReadmeExampleTests
{
    [Fact]
    public async Task The_readme_example_runs()
    {
        await using var cluster = await StartClusterAsync();
        var (apple, some, swapped, fruit) = await Example(cluster.Pd.Endpoint.ToString());
        Assert.Equal("red"u8.ToArray(), apple);
        Assert.Equal(["fruit/plum", "fruit/kiwi"], some.Select(p => System.Text.Encoding.UTF8.GetString(p.Key)));
        Assert.True(swapped);
        Assert.Equal(["fruit/apple", "fruit/kiwi", "fruit/plum"], fruit.Select(p => System.Text.Encoding.UTF8.GetString(p.Key)));
    }

    private static async Task<(byte[]?, IReadOnlyList<KvEntry>, bool, IReadOnlyList<KvEntry>)> Example(string pdAddresses)
    {
        await using var client = RawKvClient.Create(pdAddresses, new RawKvClientOptions { Timeout = TimeSpan.FromSeconds(5) });

        await client.PutAsync("fruit/apple"u8.ToArray(), "red"u8.ToArray());
        byte[]? apple = await client.GetAsync("fruit/apple"u8.ToArray()); // "red"; null when absent

        await client.BatchPutAsync([
            new KvEntry("fruit/kiwi"u8.ToArray(), "green"u8.ToArray()),
            new KvEntry("fruit/plum"u8.ToArray(), "purple"u8.ToArray()),
        ]);
        // The pairs found, in request order: plum, kiwi (fig is absent).
        var some = await client.BatchGetAsync(["fruit/plum"u8.ToArray(), "fruit/fig"u8.ToArray(), "fruit/kiwi"u8.ToArray()]);

        var (swapped, _) = await client.CompareAndSwapAsync("fruit/apple"u8.ToArray(), "red"u8.ToArray(), "green"u8.ToArray());
        // Keys in [fruit/, fruit0), in key order, across regions: apple, kiwi, plum.
        var fruit = await client.ScanAsync("fruit/"u8.ToArray(), "fruit0"u8.ToArray(), limit: 100);
        await client.DeleteRangeAsync("fruit/"u8.ToArray(), "fruit0"u8.ToArray());

        try
        {
            await client.PutAsync("counter"u8.ToArray(), "1"u8.ToArray());
        }
        catch (UnknownOutcomeException)
        {
            // Sent, but no answer came: it may or may not have been applied. Read it back before retrying.
        }

        return (apple, some, swapped, fruit);
    }
}
