using System.Globalization;
using System.Text;
using MultiRaft.Client;
using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Metadata;

namespace MultiRaft.Store.Tests;

/// <summary>The client KV service on a 3-store cluster: every operation, and every refusal leaves the data
/// as it was.</summary>
public sealed class KvServiceTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // Each Raft round writes and fsyncs its own log batch.
    public async Task Writes_are_readable_through_the_leader(bool asyncLogWrites)
    {
        await using var cluster = await TestCluster.StartAsync(tune: o => o with { AsyncLogWrites = asyncLogWrites });
        await cluster.WaitForLeaderAsync();
        await using var client = cluster.NewClient();

        await client.PutAsync(B("a"), B("1"));
        await client.PutAsync(B("b"), B("2"));
        await client.PutAsync(B("c"), B("3"));
        Assert.Equal(B("2"), await client.GetAsync(B("b")));
        Assert.Null(await client.GetAsync(B("zz")));

        await client.DeleteAsync(B("b"));
        Assert.Null(await client.GetAsync(B("b")));

        var pairs = await client.ScanAsync(B("a"), B("z"), 10);
        Assert.Equal(["a", "c"], pairs.Select(p => Encoding.UTF8.GetString(p.Key)));
        Assert.Single(await client.ScanAsync(B("a"), [], 1));
    }

    [Fact]
    public async Task Compare_and_swap_swaps_only_on_a_match()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.WaitForLeaderAsync();
        await using var client = cluster.NewClient();

        Assert.Equal((true, null), await client.CompareAndSwapAsync(B("k"), null, B("v1")));
        var (swapped, previous) = await client.CompareAndSwapAsync(B("k"), B("wrong"), B("v2"));
        Assert.False(swapped);
        Assert.Equal(B("v1"), previous);
        Assert.True((await client.CompareAndSwapAsync(B("k"), B("v1"), B("v2"))).Swapped);
        Assert.Equal(B("v2"), await client.GetAsync(B("k")));
        Assert.True((await client.CompareAndSwapAsync(B("k"), B("v2"), null)).Swapped);
        Assert.Null(await client.GetAsync(B("k")));
    }

    [Fact]
    public async Task Concurrent_compare_and_swaps_on_one_key_never_lose_an_increment()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.WaitForLeaderAsync();
        await using var client = cluster.NewClient();
        await client.PutAsync(B("counter"), B("0"));

        async Task IncrementAsync(int times)
        {
            for (var done = 0; done < times;)
            {
                var current = await client.GetAsync(B("counter"));
                var next = B((int.Parse(Encoding.UTF8.GetString(current!), CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture));
                if ((await client.CompareAndSwapAsync(B("counter"), current, next)).Swapped)
                {
                    done++;
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => IncrementAsync(25)));
        Assert.Equal(B("100"), await client.GetAsync(B("counter")));
    }

    [Fact]
    public async Task Batch_operations_and_delete_range_work_on_one_region()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (region, leader) = await cluster.WaitForLeaderAsync();
        await using var rpc = await cluster.ConnectAsync(cluster.StoreById(leader.StoreId)!);
        var context = new RegionContext(region.Id, region.Epoch);

        var put = await TestCluster.CallAsync<BatchPutRequest, WriteResponse>(rpc, KvMethods.BatchPut,
            new BatchPutRequest(context, [.. Enumerable.Range(0, 10).Select(i => new KvEntry(B($"k{i}"), B($"v{i}")))]));
        Assert.Null(put.Error);
        var got = await TestCluster.CallAsync<BatchGetRequest, BatchGetResponse>(rpc, KvMethods.BatchGet,
            new BatchGetRequest(context, [B("k1"), B("missing"), B("k7")]));
        Assert.Null(got.Error);
        Assert.Equal(["k1", "k7"], got.Pairs.Select(p => Encoding.UTF8.GetString(p.Key)));

        var deleted = await TestCluster.CallAsync<DeleteRangeRequest, WriteResponse>(rpc, KvMethods.DeleteRange,
            new DeleteRangeRequest(context, B("k2"), B("k5")));
        Assert.Null(deleted.Error);
        var scan = await TestCluster.CallAsync<ScanRequest, ScanResponse>(rpc, KvMethods.Scan, new ScanRequest(context, B("k"), [], 100));
        Assert.Equal(["k0", "k1", "k5", "k6", "k7", "k8", "k9"], scan.Pairs.Select(p => Encoding.UTF8.GetString(p.Key)));
    }

    [Fact]
    public async Task Every_refusal_is_typed_and_changes_nothing()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (region, leader) = await cluster.WaitForLeaderAsync();
        var leaderStore = cluster.StoreById(leader.StoreId)!;
        var follower = cluster.Stores.First(s => s!.StoreId != leader.StoreId)!;
        await using var rpc = await cluster.ConnectAsync(leaderStore);
        await using var followerRpc = await cluster.ConnectAsync(follower);
        var context = new RegionContext(region.Id, region.Epoch);

        async Task<RegionError?> PutAsync(Transport.Rpc.RpcClient via, RegionContext ctx, byte[] key, byte[] value) =>
            (await TestCluster.CallAsync<PutRequest, WriteResponse>(via, KvMethods.Put, new PutRequest(ctx, key, value))).Error;

        Assert.Equal(RegionErrorKind.RegionNotFound, (await PutAsync(rpc, context with { RegionId = 999_999 }, B("x"), B("1")))!.Kind);
        var stale = await PutAsync(rpc, context with { Epoch = new EpochInfo(region.Epoch.ConfVersion, region.Epoch.Version + 7) }, B("x"), B("1"));
        Assert.Equal(RegionErrorKind.EpochNotMatch, stale!.Kind);
        Assert.Equal(region.Id, Assert.Single(stale.CurrentRegions!).Id);
        var notLeader = await PutAsync(followerRpc, context, B("x"), B("1"));
        Assert.Equal(RegionErrorKind.NotLeader, notLeader!.Kind);
        Assert.Equal(leader.Id, notLeader.Leader?.Id);
        Assert.Equal(RegionErrorKind.InvalidArgument, (await PutAsync(rpc, context, [], B("1")))!.Kind);
        Assert.Equal(RegionErrorKind.InvalidArgument, (await PutAsync(rpc, context, new byte[8 * 1024 + 1], B("1")))!.Kind);
        Assert.Equal(RegionErrorKind.InvalidArgument, (await PutAsync(rpc, context, B("x"), new byte[8 * 1024 * 1024 + 1]))!.Kind);
        var tooMany = await TestCluster.CallAsync<BatchPutRequest, WriteResponse>(rpc, KvMethods.BatchPut,
            new BatchPutRequest(context, [.. Enumerable.Range(0, 10_001).Select(i => new KvEntry(B($"b{i}"), B("v")))]));
        Assert.Equal(RegionErrorKind.InvalidArgument, tooMany.Error!.Kind);
        var garbage = await Assert.ThrowsAsync<Transport.Rpc.RpcRemoteException>(() => rpc.CallAsync(KvMethods.Put, [0xC1, 0xFF, 0x00], TimeSpan.FromSeconds(5)));
        Assert.Equal(Protocol.RpcStatus.InvalidArgument, garbage.Status);

        await using var client = cluster.NewClient();
        Assert.Null(await client.GetAsync(B("x")));
        Assert.Empty(await client.ScanAsync(B("b"), B("c"), 10));
        await Assert.ThrowsAsync<KvInvalidArgumentException>(() => client.PutAsync(B("x"), new byte[8 * 1024 * 1024 + 1]));
    }

    [Fact]
    public async Task A_store_batch_answers_each_region_part_on_its_own()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (region, leader) = await cluster.WaitForLeaderAsync();
        await using var rpc = await cluster.ConnectAsync(cluster.StoreById(leader.StoreId)!);
        var context = new RegionContext(region.Id, region.Epoch);
        var stale = context with { Epoch = region.Epoch with { Version = region.Epoch.Version + 5 } };

        var put = await TestCluster.CallAsync<StoreBatchPutRequest, StoreBatchPutResponse>(rpc, KvMethods.StoreBatchPut, new StoreBatchPutRequest(
        [
            new BatchPutRequest(context, [new KvEntry(B("a"), B("1")), new KvEntry(B("b"), B("2"))]),
            new BatchPutRequest(stale, [new KvEntry(B("c"), B("3"))]),
            null!,
        ]));
        Assert.Null(put.Parts[0].Error);
        Assert.Equal(RegionErrorKind.EpochNotMatch, put.Parts[1].Error!.Kind);
        Assert.Equal(RegionErrorKind.InvalidArgument, put.Parts[2].Error!.Kind);

        var get = await TestCluster.CallAsync<StoreBatchGetRequest, StoreBatchGetResponse>(rpc, KvMethods.StoreBatchGet, new StoreBatchGetRequest(
        [
            new BatchGetRequest(context, [B("b"), B("c"), B("a")]),
            new BatchGetRequest(stale, [B("a")]),
        ]));
        Assert.Equal(["b=2", "a=1"], get.Parts[0].Pairs.Select(p => $"{Encoding.UTF8.GetString(p.Key)}={Encoding.UTF8.GetString(p.Value)}"));
        Assert.Equal(RegionErrorKind.EpochNotMatch, get.Parts[1].Error!.Kind);

        var tooMany = await TestCluster.CallAsync<StoreBatchGetRequest, StoreBatchGetResponse>(rpc, KvMethods.StoreBatchGet,
            new StoreBatchGetRequest([.. Enumerable.Repeat(new BatchGetRequest(context, [B("a")]), 1025)]));
        Assert.All(tooMany.Parts, p => Assert.Equal(RegionErrorKind.InvalidArgument, p.Error!.Kind));
    }

    [Fact]
    public async Task A_value_at_the_size_limit_is_stored_whole()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.WaitForLeaderAsync();
        await using var client = cluster.NewClient();
        var value = new byte[8 * 1024 * 1024];
        new Random(7).NextBytes(value);
        await client.PutAsync(B("big"), value);
        Assert.Equal(value, await client.GetAsync(B("big")));
    }

    [Fact]
    public async Task A_write_that_cannot_commit_before_its_deadline_is_answered_with_a_timeout()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (region, leader) = await cluster.WaitForLeaderAsync();
        var store = cluster.StoreById(leader.StoreId)!;
        await using var rpc = await cluster.ConnectAsync(store);
        for (var i = 0; i < cluster.Stores.Length; i++)
        {
            if (cluster.Stores[i] is { } other && other != store)
            {
                await cluster.StopStoreAsync(i);
            }
        }

        // Without a quorum the write cannot commit: the store must answer before the caller's deadline, with
        // an error that says the outcome is unknown, instead of leaving the call to time out unanswered. (The
        // store gives up a tenth of the deadline early, at most 200 ms: 2 s leaves the answer that much room
        // on a busy machine.)
        var body = Protocol.ProtocolSerializer.Serialize(new PutRequest(new RegionContext(region.Id, region.Epoch), B("k"), B("v")));
        var answer = Protocol.ProtocolSerializer.Deserialize<WriteResponse>(new System.Buffers.ReadOnlySequence<byte>(
            await rpc.CallAsync(KvMethods.Put, body, TimeSpan.FromSeconds(2))));

        var error = Assert.IsType<RegionError>(answer.Error);
        Assert.True(error.Kind is RegionErrorKind.Timeout or RegionErrorKind.NotLeader, error.ToString());
        if (error.Kind == RegionErrorKind.Timeout)
        {
            Assert.Contains("may still be applied", error.Message);
        }
    }
}
