using System.Net;
using MultiRaft.Protocol.Kv;
using static MultiRaft.Client.Tests.ClusterOps;

namespace MultiRaft.Client.Tests;

/// <summary>Bad arguments fail on the client, before anything is sent (no cluster runs here: the client
/// points at a port nobody listens on), with the limit they broke.</summary>
public sealed class ValidationTests
{
    private static RawKvClient NewClient() => new([new IPEndPoint(IPAddress.Loopback, 1)], new RawKvClientOptions { Timeout = TimeSpan.FromSeconds(1) });

    private static readonly byte[] LongKey = new byte[8 * 1024 + 1];
    private static readonly byte[] LongValue = new byte[8 * 1024 * 1024 + 1];

    [Fact]
    public async Task Empty_and_oversized_keys_are_refused_with_the_limit()
    {
        await using var client = NewClient();
        var empty = await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.GetAsync([]));
        Assert.Contains("must not be empty", empty.Message);
        var tooLong = await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.PutAsync(LongKey, B("v")));
        Assert.Contains("8193 bytes is over the 8192-byte limit", tooLong.Message);
        await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.DeleteAsync(LongKey));
        await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.CompareAndSwapAsync([], null, B("v")));
        var inBatch = await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.BatchGetAsync([B("a"), B("b"), []]));
        Assert.Contains("keys[2]", inBatch.Message);
        await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.BatchPutAsync([new KvEntry(B("a"), B("1")), new KvEntry(LongKey, B("2"))]));
        await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.ScanAsync(LongKey, [], 10));
    }

    [Fact]
    public async Task Oversized_values_are_refused_with_the_limit()
    {
        await using var client = NewClient();
        var put = await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.PutAsync(B("k"), LongValue));
        Assert.Contains("8388609 bytes is over the 8388608-byte limit", put.Message);
        await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.CompareAndSwapAsync(B("k"), LongValue, null));
        await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.CompareAndSwapAsync(B("k"), null, LongValue));
        var batch = await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.BatchPutAsync([new KvEntry(B("a"), B("1")), new KvEntry(B("b"), LongValue)]));
        Assert.Contains("pairs[1].Value", batch.Message);
    }

    [Fact]
    public async Task Ranges_must_run_forward_and_limits_come_from_the_options()
    {
        await using var client = NewClient();
        await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.DeleteRangeAsync(B("m"), B("c")));
        await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.ScanAsync(B("m"), B("m"), 10));
        await using var strict = new RawKvClient([new IPEndPoint(IPAddress.Loopback, 1)], new RawKvClientOptions { MaxKeyBytes = 4, MaxValueBytes = 4 });
        var key = await Assert.ThrowsAsync<KvInvalidArgumentException>(() => strict.GetAsync(B("12345")));
        Assert.Contains("4-byte limit", key.Message);
        await Assert.ThrowsAsync<KvInvalidArgumentException>(() => strict.PutAsync(B("k"), B("12345")));
        // Nothing to do is not an error, and needs no cluster.
        Assert.Empty(await client.BatchGetAsync([]));
        await client.BatchPutAsync([]);
    }
}
