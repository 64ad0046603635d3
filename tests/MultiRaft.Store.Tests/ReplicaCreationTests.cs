using MultiRaft.Storage.Kv;
using MultiRaft.Store.Regions;
using static MultiRaft.Store.Tests.LocalStoreParts;

namespace MultiRaft.Store.Tests;

/// <summary>When a leader replicates to a peer this store does not host, the store creates an empty replica
/// for its snapshot — unless a region here already covers those keys, or the store removed that replica.</summary>
public sealed class ReplicaCreationTests : IDisposable
{
    private readonly LocalStoreParts _store = new();

    [Fact]
    public void A_replica_being_added_here_is_created_empty()
    {
        var region = Region(1, "", "", 10);

        var peer = _store.Factory.OpenForLeader(region.ToInfo(), region.Peers[0].Id, _store.Peers);

        Assert.NotNull(peer);
        Assert.False(peer.IsInitialized);
        Assert.Equal(region.Peers[0].Id, peer.PeerId);
    }

    [Fact]
    public void No_replica_for_a_peer_of_another_store_or_over_a_region_held_here()
    {
        _store.Hosted(Region(2, "m", "", 20));
        var region = Region(1, "", "", 10);

        Assert.Null(_store.Factory.OpenForLeader(region.ToInfo(), region.Peers[1].Id, _store.Peers)); // On store 2.
        Assert.Null(_store.Factory.OpenForLeader(region.ToInfo(), region.Peers[0].Id, _store.Peers)); // Covers region 2.
        Assert.NotNull(_store.Factory.OpenForLeader(Region(1, "", "m", 10).ToInfo(), region.Peers[0].Id, _store.Peers));
    }

    [Fact]
    public void A_removed_replica_is_not_brought_back_by_a_leader_that_missed_the_removal()
    {
        var removedAt = Region(1, "", "", 10) with { Epoch = new RegionEpoch(3, 1) };
        using (var batch = _store.Kv.NewWriteBatch())
        {
            batch.SetRegionState(removedAt with { Tombstone = true });
            _store.Kv.Write(batch, sync: false);
        }
        var stale = Region(1, "", "", 10) with { Epoch = new RegionEpoch(2, 1) };
        var readded = Region(1, "", "", 10) with { Epoch = new RegionEpoch(5, 1) };

        Assert.Null(_store.Factory.OpenForLeader(stale.ToInfo(), stale.Peers[0].Id, _store.Peers));
        Assert.Null(_store.Factory.OpenForLeader(removedAt.ToInfo(), removedAt.Peers[0].Id, _store.Peers));
        Assert.NotNull(_store.Factory.OpenForLeader(readded.ToInfo(), readded.Peers[0].Id, _store.Peers));
    }

    public void Dispose() => _store.Dispose();
}
