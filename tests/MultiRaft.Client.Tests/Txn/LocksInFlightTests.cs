using MultiRaft.Protocol.Admin;
using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Store;
using MultiRaft.Store.Tests;
using static MultiRaft.Client.Tests.ClusterOps;
using static MultiRaft.Client.Tests.Txn.TxnClusterTests;

namespace MultiRaft.Client.Tests.Txn;

/// <summary>A lock belongs to a key, not to a region: a transaction prewritten before its region splits,
/// moves its leader and moves a replica to a new store still commits, and the replica that arrived by
/// snapshot — made leader before the commit, so its own state decides — holds every lock.</summary>
public sealed class LocksInFlightTests
{
    private static readonly string[] Keys = ["alpha", "hotel", "oscar", "victor"];

    [Fact]
    public async Task A_prewritten_transaction_commits_after_a_split_a_leader_transfer_and_a_replica_move()
    {
        await using var cluster = await TestCluster.StartAsync(stores: 4);
        await LeaderAsync(cluster, B("a"));
        await using var writerClient = NewTxnClient(cluster, lockTtl: TimeSpan.FromMinutes(1)); // Nobody resolves it meanwhile.
        var txn = await writerClient.BeginAsync();
        foreach (var key in Keys)
        {
            txn.Put(B(key), B("in-flight"));
        }
        await txn.PrewriteAsync(default);

        await SplitAsync(cluster, B("a"), [B("n")]);
        await TransferLeaderAsync(cluster, B("hotel"));
        var spare = await MoveReplicaToSpareStoreAsync(cluster, B("victor"));
        await LeadFromAsync(cluster, B("victor"), spare);

        var commitTs = await txn.CommitPrimaryAsync(default);
        Assert.Empty(await txn.CommitSecondariesAsync(txn.SecondaryKeys(), commitTs));

        await using var readerClient = NewTxnClient(cluster);
        await using var reader = await readerClient.BeginAsync();
        Assert.Equal(Keys, (await reader.ScanAsync(B("a"), [], 100)).Select(p => S(p.Key)));
    }

    /// <summary>Adds a learner for the region of <paramref name="key"/> on the store without a replica, waits
    /// for its snapshot, promotes it and removes a follower: returns the new replica's store.</summary>
    private static async Task<StoreServer> MoveReplicaToSpareStoreAsync(TestCluster cluster, byte[] key)
    {
        var (region, leader) = await LeaderAsync(cluster, key);
        var spare = Array.Find(cluster.Stores, s => region.PeerOnStore(s!.StoreId) is null)!;
        var added = await ChangeAsync(cluster, leader, region, PeerChangeKind.AddLearner, spare.StoreId, 0);
        await Eventually(() => spare.SnapshotsInstalled > 0, "the learner installed a snapshot");
        var learner = added.PeerOnStore(spare.StoreId)!.Value;
        var promoted = await ChangeAsync(cluster, leader, added, PeerChangeKind.PromoteLearner, spare.StoreId, learner.Id);
        var follower = promoted.Peers.First(p => p.Id != leader.Id && p.Id != learner.Id);
        await ChangeAsync(cluster, leader, promoted, PeerChangeKind.RemovePeer, follower.StoreId, follower.Id);
        return spare;
    }

    private static async Task<RegionInfo> ChangeAsync(TestCluster cluster, PeerInfo leader, RegionInfo region, PeerChangeKind kind, ulong storeId, ulong peerId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        await using var rpc = await cluster.ConnectAsync(cluster.StoreById(leader.StoreId)!);
        while (true)
        {
            var answer = await TestCluster.CallAsync<ChangePeerRequest, ChangePeerResponse>(rpc, AdminMethods.ChangePeer,
                new ChangePeerRequest(new RegionContext(region.Id, region.Epoch), kind, storeId, peerId));
            if (answer.Error?.Kind != RegionErrorKind.ServerIsBusy || DateTime.UtcNow > deadline)
            {
                Assert.Null(answer.Error);
                return answer.Region!;
            }
            await Task.Delay(100); // A learner still catching up cannot be promoted yet.
        }
    }

    private static async Task LeadFromAsync(TestCluster cluster, byte[] key, StoreServer store)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var (region, leader) = await LeaderAsync(cluster, key);
            if (leader.StoreId == store.StoreId && store.LeaderCount > 0)
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, "could not move the leader to the new replica within 20 s");
            var target = region.PeerOnStore(store.StoreId)!.Value;
            await using (var rpc = await cluster.ConnectAsync(cluster.StoreById(leader.StoreId)!))
            {
                await TestCluster.CallAsync<TransferLeaderRequest, AdminResponse>(rpc, AdminMethods.TransferLeader,
                    new TransferLeaderRequest(new RegionContext(region.Id, region.Epoch), target.Id));
            }
            await Task.Delay(200);
        }
    }
}
