using System.Text;
using MultiRaft.Protocol;
using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Txn;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Store.Tests;

/// <summary>The transactional RPCs as a store sees them: the Percolator steps through Raft, and every bad
/// request refused with a clear error and no effect.</summary>
public sealed class TxnServiceTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task Prewrite_commit_and_read_through_the_rpcs()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (region, leader) = await cluster.WaitForLeaderAsync();
        await using var rpc = await cluster.ConnectAsync(cluster.StoreById(leader.StoreId)!);
        var context = new RegionContext(region.Id, region.Epoch);

        var prewrite = await Call<PrewriteRequest, TxnWriteResponse>(rpc, TxnMethods.Prewrite,
            new PrewriteRequest(context, [new TxnMutation(TxnMutationKind.Put, B("k"), B("v"))], B("k"), 100, 3000));
        Assert.Null(prewrite.Error);
        Assert.Empty(prewrite.Errors);

        var blocked = await Call<TxnGetRequest, TxnReadResponse>(rpc, TxnMethods.Get, new TxnGetRequest(context, B("k"), 150));
        Assert.Equal(100UL, Assert.Single(blocked.Locks).StartTs);

        var commit = await Call<CommitRequest, TxnWriteResponse>(rpc, TxnMethods.Commit, new CommitRequest(context, [B("k")], 100, 120));
        Assert.Null(commit.Error);
        Assert.Empty(commit.Errors);
        var before = await Call<TxnGetRequest, TxnReadResponse>(rpc, TxnMethods.Get, new TxnGetRequest(context, B("k"), 119));
        Assert.Empty(before.Pairs);
        var after = await Call<TxnGetRequest, TxnReadResponse>(rpc, TxnMethods.Get, new TxnGetRequest(context, B("k"), 120));
        Assert.Equal(B("v"), Assert.Single(after.Pairs).Value);

        var late = await Call<PrewriteRequest, TxnWriteResponse>(rpc, TxnMethods.Prewrite,
            new PrewriteRequest(context, [new TxnMutation(TxnMutationKind.Put, B("k"), B("w"))], B("k"), 110, 3000));
        Assert.Equal(KeyErrorKind.WriteConflict, Assert.Single(late.Errors).Kind);
        var status = await Call<CheckTxnStatusRequest, CheckTxnStatusResponse>(rpc, TxnMethods.CheckTxnStatus, new CheckTxnStatusRequest(context, B("k"), 100, 200));
        Assert.Equal((TxnStatusKind.Committed, 120UL), (status.Status, status.CommitTs));
    }

    [Fact]
    public async Task Bad_transactional_requests_are_refused_and_change_nothing()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (region, leader) = await cluster.WaitForLeaderAsync();
        await using var rpc = await cluster.ConnectAsync(cluster.StoreById(leader.StoreId)!);
        var context = new RegionContext(region.Id, region.Epoch);
        var stale = context with { Epoch = new EpochInfo(region.Epoch.ConfVersion, region.Epoch.Version + 3) };
        var put = new TxnMutation(TxnMutationKind.Put, B("k"), B("v"));

        async Task<RegionErrorKind?> PrewriteAsync(RegionContext at, TxnMutation[] mutations, byte[] primary, ulong startTs) =>
            (await Call<PrewriteRequest, TxnWriteResponse>(rpc, TxnMethods.Prewrite, new PrewriteRequest(at, mutations, primary, startTs, 3000))).Error?.Kind;

        Assert.Equal(RegionErrorKind.InvalidArgument, await PrewriteAsync(context, [put], B("k"), 0));
        Assert.Equal(RegionErrorKind.InvalidArgument, await PrewriteAsync(context, [], B("k"), 10));
        Assert.Equal(RegionErrorKind.InvalidArgument, await PrewriteAsync(context, [put], [], 10));
        Assert.Equal(RegionErrorKind.InvalidArgument, await PrewriteAsync(context, [put with { Kind = (TxnMutationKind)9 }], B("k"), 10));
        Assert.Equal(RegionErrorKind.InvalidArgument, await PrewriteAsync(context, [put with { Value = null }], B("k"), 10));
        Assert.Equal(RegionErrorKind.InvalidArgument, await PrewriteAsync(context, [put with { Value = new byte[8 * 1024 * 1024 + 1] }], B("k"), 10));
        Assert.Equal(RegionErrorKind.InvalidArgument, await PrewriteAsync(context, [put with { Key = new byte[8 * 1024 + 1] }], B("k"), 10));
        Assert.Equal(RegionErrorKind.InvalidArgument, await PrewriteAsync(context, [put, put], B("k"), 10)); // Refused when applied.
        Assert.Equal(RegionErrorKind.EpochNotMatch, await PrewriteAsync(stale, [put], B("k"), 10));
        var commit = await Call<CommitRequest, TxnWriteResponse>(rpc, TxnMethods.Commit, new CommitRequest(context, [B("k")], 10, 10));
        Assert.Equal(RegionErrorKind.InvalidArgument, commit.Error?.Kind);
        var resolve = await Call<ResolveLockRequest, ResolveLockResponse>(rpc, TxnMethods.ResolveLock, new ResolveLockRequest(context, 10, 5));
        Assert.Equal(RegionErrorKind.InvalidArgument, resolve.Error?.Kind);
        var read = await Call<TxnGetRequest, TxnReadResponse>(rpc, TxnMethods.Get, new TxnGetRequest(context, B("k"), 0));
        Assert.Equal(RegionErrorKind.InvalidArgument, read.Error?.Kind);
        var malformed = await Assert.ThrowsAsync<RpcRemoteException>(() => rpc.CallAsync(TxnMethods.Prewrite, [0xC1, 0x00], TimeSpan.FromSeconds(5)));
        Assert.Equal(RpcStatus.InvalidArgument, malformed.Status);

        // Nothing above left a lock or a value behind.
        var after = await Call<TxnGetRequest, TxnReadResponse>(rpc, TxnMethods.Get, new TxnGetRequest(context, B("k"), 1_000));
        Assert.Null(after.Error);
        Assert.Empty(after.Pairs);
        Assert.Empty(after.Locks);
    }

    private static Task<TResponse> Call<TRequest, TResponse>(RpcClient rpc, string method, TRequest request) =>
        TestCluster.CallAsync<TRequest, TResponse>(rpc, method, request);
}
