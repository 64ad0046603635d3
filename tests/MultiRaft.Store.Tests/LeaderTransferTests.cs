using System.Text;
using MultiRaft.Protocol.Admin;
using MultiRaft.Protocol.Kv;
using MultiRaft.Transport.Rpc;

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
        var context = new RegionContext(region.Id, region.Epoch);
        await using var writer = new LeaderWriter(cluster, context);
        for (var i = 0; i < 300; i++)
        {
            // One entry each: the stopped follower ends up 300 entries behind.
            Assert.Null(await writer.PutAsync($"k{i}"));
        }

        // Ask whichever live store leads now (a CI machine under load can move leadership between the two).
        var (_, current) = await cluster.WaitForLeaderAsync();
        await using (var rpc = await cluster.ConnectAsync(cluster.StoreById(current.StoreId)!))
        {
            var transfer = await TestCluster.CallAsync<TransferLeaderRequest, AdminResponse>(rpc, AdminMethods.TransferLeader, new TransferLeaderRequest(context, follower.Id));
            Assert.Null(transfer.Error);
        }

        // A started transfer would refuse every proposal for an election timeout (10 ticks, 400 ms here).
        var until = DateTime.UtcNow + TimeSpan.FromMilliseconds(600);
        for (var i = 0; DateTime.UtcNow < until; i++)
        {
            var error = await writer.PutAsync($"after{i}");
            Assert.True(error is null, $"write {i} after the transfer request: {error}");
        }
        Assert.Equal(1, cluster.Stores.Where(s => s is not null).Sum(s => s!.LeaderCount));
    }

    /// <summary>Writes through the region's leader; a NotLeader (leadership moved between the live stores under
    /// load) is followed, any other error returned.</summary>
    private sealed class LeaderWriter(TestCluster cluster, RegionContext context) : IAsyncDisposable
    {
        private RpcClient? _rpc;

        public async Task<RegionError?> PutAsync(string key)
        {
            while (true)
            {
                if (_rpc is null)
                {
                    var (_, leader) = await cluster.WaitForLeaderAsync();
                    _rpc = await cluster.ConnectAsync(cluster.StoreById(leader.StoreId)!);
                }
                var put = await TestCluster.CallAsync<PutRequest, WriteResponse>(_rpc, KvMethods.Put, new PutRequest(context, Encoding.UTF8.GetBytes(key), [1]));
                if (put.Error is not { Kind: RegionErrorKind.NotLeader })
                {
                    return put.Error;
                }
                await DisposeAsync();
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_rpc is not null)
            {
                await _rpc.DisposeAsync();
                _rpc = null;
            }
        }
    }
}
