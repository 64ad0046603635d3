using System.Collections.Concurrent;
using System.Text;
using MultiRaft.Client;
using MultiRaft.Protocol.Admin;
using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Metadata;

namespace MultiRaft.Store.Tests;

/// <summary>Moving a replica under load: add a learner on a fourth store (it catches up by snapshot), promote
/// it, remove the old leader's replica (leadership is handed over first), and check the new replica holds
/// every acknowledged write.</summary>
public sealed class MembershipTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task A_replica_moves_to_a_new_store_under_load_and_holds_every_write()
    {
        await using var cluster = await TestCluster.StartAsync(stores: 4);
        var (region, leader) = await cluster.WaitForLeaderAsync();
        var spare = Array.Find(cluster.Stores, s => region.PeerOnStore(s!.StoreId) is null)!;
        await using var client = cluster.NewClient();
        var acknowledged = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    await client.PutAsync(B($"m{i:D6}"), B("v"));
                    acknowledged.Add($"m{i:D6}");
                }
                catch (UnknownOutcomeException)
                {
                    // The removed leader's pending writes may or may not commit elsewhere: not acknowledged.
                }
            }
        });
        await Task.Delay(300);

        var added = await ChangeAsync(cluster, leader, region, PeerChangeKind.AddLearner, spare.StoreId, 0);
        Assert.Null(added.Error);
        var learner = added.Region!.PeerOnStore(spare.StoreId)!.Value;
        Assert.True(learner.IsLearner);
        await Wait.Until(() => spare.SnapshotsInstalled > 0 && spare.RegionCount == 1, "the learner installed a snapshot");

        ChangePeerResponse promoted;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        do
        {
            promoted = await ChangeAsync(cluster, leader, added.Region, PeerChangeKind.PromoteLearner, spare.StoreId, learner.Id);
            if (promoted.Error?.Kind == RegionErrorKind.ServerIsBusy)
            {
                await Task.Delay(100);
            }
        }
        while (promoted.Error?.Kind == RegionErrorKind.ServerIsBusy && DateTime.UtcNow < deadline);
        Assert.Null(promoted.Error);
        Assert.False(promoted.Region!.PeerById(learner.Id)!.Value.IsLearner);

        var removed = await ChangeAsync(cluster, leader, promoted.Region, PeerChangeKind.RemovePeer, leader.StoreId, leader.Id);
        Assert.Null(removed.Error);
        Assert.Null(removed.Region!.PeerById(leader.Id));
        var oldLeaderStore = cluster.StoreById(leader.StoreId)!;
        await Wait.Until(() => oldLeaderStore.RegionCount == 0, "the removed replica was destroyed");
        await Task.Delay(500);
        stop.Cancel();
        await writer;

        // Voters now: two original followers and the new replica. Stop one original follower: the new
        // replica is needed for every quorum, so it must hold every acknowledged write.
        var follower = Array.FindIndex(cluster.Stores, s => s is not null && s != spare && s != oldLeaderStore);
        await cluster.StopStoreAsync(follower);
        await using var reader = cluster.NewClient();
        var keys = (await reader.ScanAsync(B("m"), B("n"), 1_000_000)).Select(p => Encoding.UTF8.GetString(p.Key)).ToHashSet();
        var lost = acknowledged.Where(k => !keys.Contains(k)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged writes missing");
    }

    [Fact]
    public async Task Membership_steps_that_do_not_fit_the_region_are_refused()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (region, leader) = await cluster.WaitForLeaderAsync();
        var follower = region.Peers.First(p => p.Id != leader.Id);

        var duplicate = await ChangeAsync(cluster, leader, region, PeerChangeKind.AddLearner, follower.StoreId, 0);
        Assert.Equal(RegionErrorKind.InvalidArgument, duplicate.Error!.Kind);
        var notLearner = await ChangeAsync(cluster, leader, region, PeerChangeKind.PromoteLearner, 0, follower.Id);
        Assert.Equal(RegionErrorKind.InvalidArgument, notLearner.Error!.Kind);
        var unknown = await ChangeAsync(cluster, leader, region, PeerChangeKind.RemovePeer, 0, 987_654);
        Assert.Equal(RegionErrorKind.InvalidArgument, unknown.Error!.Kind);
        var staleEpoch = await ChangeAsync(cluster, leader, region with { Epoch = region.Epoch with { ConfVersion = region.Epoch.ConfVersion + 1 } },
            PeerChangeKind.RemovePeer, 0, follower.Id);
        Assert.Equal(RegionErrorKind.EpochNotMatch, staleEpoch.Error!.Kind);
    }

    private static async Task<ChangePeerResponse> ChangeAsync(TestCluster cluster, PeerInfo leader, RegionInfo region, PeerChangeKind kind, ulong storeId, ulong peerId)
    {
        await using var rpc = await cluster.ConnectAsync(cluster.StoreById(leader.StoreId)!);
        return await TestCluster.CallAsync<ChangePeerRequest, ChangePeerResponse>(rpc, AdminMethods.ChangePeer,
            new ChangePeerRequest(new RegionContext(region.Id, region.Epoch), kind, storeId, peerId));
    }
}
