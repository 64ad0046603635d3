using System.Text;
using MultiRaft.Protocol.Admin;
using MultiRaft.Protocol.Kv;

namespace MultiRaft.Store.Tests;

/// <summary>Leader transfers only to a peer that can take over at once.</summary>
public sealed class LeaderTransferTests
{
    [Fact]
    public async Task A_transfer_to_a_peer_far_behind_never_starts_so_writes_go_on()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (region, leader) = await cluster.WaitForLeaderAsync();
        var follower = region.Peers.First(p => p.Id != leader.Id);
        await cluster.StopStoreAsync(Array.FindIndex(cluster.Stores, s => s!.StoreId == follower.StoreId));
        var store = cluster.StoreById(leader.StoreId)!;
        await using var rpc = await cluster.ConnectAsync(store);
        var context = new RegionContext(region.Id, region.Epoch);
        for (var i = 0; i < 300; i++)
        {
            // One entry each: the stopped follower ends up 300 entries behind.
            var put = await TestCluster.CallAsync<PutRequest, WriteResponse>(rpc, KvMethods.Put, new PutRequest(context, Encoding.UTF8.GetBytes($"k{i}"), [1]));
            Assert.Null(put.Error);
        }

        var transfer = await TestCluster.CallAsync<TransferLeaderRequest, AdminResponse>(rpc, AdminMethods.TransferLeader, new TransferLeaderRequest(context, follower.Id));
        Assert.Null(transfer.Error);

        // A started transfer would refuse every proposal for an election timeout (10 ticks, 400 ms here).
        var until = DateTime.UtcNow + TimeSpan.FromMilliseconds(600);
        for (var i = 0; DateTime.UtcNow < until; i++)
        {
            var put = await TestCluster.CallAsync<PutRequest, WriteResponse>(rpc, KvMethods.Put, new PutRequest(context, Encoding.UTF8.GetBytes($"after{i}"), [2]));
            Assert.True(put.Error is null, $"write {i} after the transfer request: {put.Error}");
        }
        Assert.Equal(1, store.LeaderCount);
    }
}
