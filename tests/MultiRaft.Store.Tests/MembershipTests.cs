using System.Collections.Concurrent;
using System.Text;
using MultiRaft.Client;
using MultiRaft.Protocol.Admin;
using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Metadata;

namespace MultiRaft.Store.Tests;

/// <summary>Moving a replica under load: add a learner on a fourth store (it catches up by snapshot), promote
/// it or swap it in for a voter through a joint configuration, remove the old replica (a leader hands
/// leadership over first), and check the new replica holds every acknowledged write.</summary>
public sealed class MembershipTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task A_replica_moves_to_a_new_store_under_load_and_holds_every_write()
    {
        await using var cluster = await TestCluster.StartAsync(stores: 4);
        var (region, leader) = await cluster.WaitForLeaderAsync();
        await using var client = cluster.NewClient();
        await using var load = await WriteLoad.StartAsync(client);

        var (spare, added, learner) = await AddLearnerOnSpareAsync(cluster, leader, region);
        var promoted = await WhileBusyAsync(() => ChangeAsync(cluster, leader, added, PeerChangeKind.PromoteLearner, spare.StoreId, learner.Id));
        Assert.Null(promoted.Error);
        Assert.False(promoted.Region!.PeerById(learner.Id)!.Value.IsLearner);

        var removed = await ChangeAsync(cluster, leader, promoted.Region, PeerChangeKind.RemovePeer, leader.StoreId, leader.Id);
        Assert.Null(removed.Error);
        Assert.Null(removed.Region!.PeerById(leader.Id));
        var oldLeaderStore = cluster.StoreById(leader.StoreId)!;
        await Wait.Until(() => oldLeaderStore.RegionCount == 0, "the removed replica was destroyed");
        await Task.Delay(500);

        // Voters now: two original followers and the new replica. Stop one original follower: the new
        // replica is needed for every quorum, so it must hold every acknowledged write.
        await AssertEveryWriteWithoutAsync(cluster, load, spare, oldLeaderStore);
    }

    [Fact]
    public async Task A_learner_swaps_in_for_a_follower_through_a_joint_configuration_under_load_and_holds_every_write()
    {
        await using var cluster = await TestCluster.StartAsync(stores: 4);
        var (region, leader) = await cluster.WaitForLeaderAsync();
        await using var client = cluster.NewClient();
        await using var load = await WriteLoad.StartAsync(client);

        var (spare, added, learner) = await AddLearnerOnSpareAsync(cluster, leader, region);
        leader = (await cluster.WaitForLeaderAsync()).Leader; // The voter to demote must not lead.
        var outgoing = added.Peers.First(p => !p.IsLearner && p.Id != leader.Id);
        var swapped = await WhileBusyAsync(() => ChangeAsync(cluster, leader, added, PeerChangeKind.SwapVoter, spare.StoreId, learner.Id, outgoing.Id));
        Assert.Null(swapped.Error);
        Assert.False(swapped.Region!.PeerById(learner.Id)!.Value.IsLearner);
        Assert.True(swapped.Region.PeerById(outgoing.Id)!.Value.IsLearner);
        Assert.Equal(3, swapped.Region.Peers.Count(p => !p.IsLearner));

        // Raft refuses further changes until the leader has left the joint configuration by itself.
        ChangePeerResponse removed;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        do
        {
            removed = await ChangeAsync(cluster, leader, swapped.Region, PeerChangeKind.RemovePeer, outgoing.StoreId, outgoing.Id);
        }
        while (removed.Error?.Kind == RegionErrorKind.ProposalDropped && DateTime.UtcNow < deadline && await Delay(100));
        Assert.Null(removed.Error);
        var outgoingStore = cluster.StoreById(outgoing.StoreId)!;
        await Wait.Until(() => outgoingStore.RegionCount == 0, "the demoted replica was removed and destroyed");
        await Task.Delay(500);

        await AssertEveryWriteWithoutAsync(cluster, load, spare, outgoingStore, cluster.StoreById(leader.StoreId)!);
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
        var swapInVoter = await ChangeAsync(cluster, leader, region, PeerChangeKind.SwapVoter, 0, follower.Id, leader.Id);
        Assert.Equal(RegionErrorKind.InvalidArgument, swapInVoter.Error!.Kind);
        var staleEpoch = await ChangeAsync(cluster, leader, region with { Epoch = region.Epoch with { ConfVersion = region.Epoch.ConfVersion + 1 } },
            PeerChangeKind.RemovePeer, 0, follower.Id);
        Assert.Equal(RegionErrorKind.EpochNotMatch, staleEpoch.Error!.Kind);
    }

    /// <summary>Sends the step to <paramref name="leader"/>'s store, following leadership if it moved: on a
    /// busy 2-core machine (CI runs every test assembly at once) an election can happen at any time.</summary>
    private static async Task<ChangePeerResponse> ChangeAsync(TestCluster cluster, PeerInfo leader, RegionInfo region, PeerChangeKind kind, ulong storeId, ulong peerId, ulong demotedId = 0)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            ChangePeerResponse answer;
            await using (var rpc = await cluster.ConnectAsync(cluster.StoreById(leader.StoreId)!))
            {
                answer = await TestCluster.CallAsync<ChangePeerRequest, ChangePeerResponse>(rpc, AdminMethods.ChangePeer,
                    new ChangePeerRequest(new RegionContext(region.Id, region.Epoch), kind, storeId, peerId, demotedId));
            }
            if (answer.Error?.Kind != RegionErrorKind.NotLeader || DateTime.UtcNow > deadline)
            {
                return answer;
            }
            await Task.Delay(50);
            leader = answer.Error.Leader is { } hint && cluster.StoreById(hint.StoreId) is not null ? hint : (await cluster.WaitForLeaderAsync()).Leader;
        }
    }

    private static async Task<bool> Delay(int milliseconds)
    {
        await Task.Delay(milliseconds);
        return true;
    }

    /// <summary>Adds a learner on the store without a replica and waits for it to install its snapshot.</summary>
    private static async Task<(StoreServer Spare, RegionInfo Region, PeerInfo Learner)> AddLearnerOnSpareAsync(TestCluster cluster, PeerInfo leader, RegionInfo region)
    {
        var spare = Array.Find(cluster.Stores, s => region.PeerOnStore(s!.StoreId) is null)!;
        var added = await ChangeAsync(cluster, leader, region, PeerChangeKind.AddLearner, spare.StoreId, 0);
        Assert.Null(added.Error);
        var learner = added.Region!.PeerOnStore(spare.StoreId)!.Value;
        Assert.True(learner.IsLearner);
        await Wait.Until(() => spare.SnapshotsInstalled > 0 && spare.RegionCount == 1, "the learner installed a snapshot");
        return (spare, added.Region, learner);
    }

    /// <summary>Repeats a promotion while the store answers that the learner is still catching up.</summary>
    private static async Task<ChangePeerResponse> WhileBusyAsync(Func<Task<ChangePeerResponse>> change)
    {
        ChangePeerResponse response;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((response = await change()).Error?.Kind == RegionErrorKind.ServerIsBusy && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        return response;
    }

    /// <summary>Stops the load, then one store other than <paramref name="keep"/>, <paramref name="gone"/> and
    /// <paramref name="alsoKeep"/>: the new replica is then needed for every quorum, and every acknowledged write
    /// must still be read.</summary>
    private static async Task AssertEveryWriteWithoutAsync(TestCluster cluster, WriteLoad load, StoreServer keep, StoreServer gone, StoreServer? alsoKeep = null)
    {
        var acknowledged = await load.StopAsync();
        var follower = Array.FindIndex(cluster.Stores, s => s is not null && s != keep && s != gone && s != alsoKeep);
        await cluster.StopStoreAsync(follower);
        await using var reader = cluster.NewClient();
        var keys = (await reader.ScanAsync(B("m"), B("n"), 1_000_000)).Select(p => Encoding.UTF8.GetString(p.Key)).ToHashSet();
        var lost = acknowledged.Where(k => !keys.Contains(k)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged writes missing");
    }

    /// <summary>Unique writes in a loop; only those acknowledged count.</summary>
    private sealed class WriteLoad : IAsyncDisposable
    {
        private readonly ConcurrentBag<string> _acknowledged = [];
        private readonly CancellationTokenSource _stop = new();
        private Task _writer = Task.CompletedTask;

        /// <summary>Starts the writes and lets them run a moment before the first membership step.</summary>
        public static async Task<WriteLoad> StartAsync(RawKvClient client)
        {
            var load = new WriteLoad();
            load._writer = Task.Run(async () =>
            {
                for (var i = 0; !load._stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        await client.PutAsync(B($"m{i:D6}"), B("v"));
                        load._acknowledged.Add($"m{i:D6}");
                    }
                    catch (UnknownOutcomeException)
                    {
                        // A removed leader's pending writes may or may not commit elsewhere: not acknowledged.
                    }
                }
            });
            await Task.Delay(300);
            return load;
        }

        public async Task<IReadOnlyCollection<string>> StopAsync()
        {
            await _stop.CancelAsync();
            await _writer;
            return _acknowledged;
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _stop.Dispose();
        }
    }
}
