using MultiRaft.PlacementDriver.Storage;
using MultiRaft.Protocol;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.PlacementDriver.Tests;

public class StoreTests
{
    private static PdServerOptions ShortTimeouts(PdServerOptions options) => options with
    {
        StoreDisconnectedAfter = TimeSpan.FromSeconds(10),
        StoreDownAfter = TimeSpan.FromSeconds(30),
    };

    [Fact]
    public async Task Stores_register_update_and_survive_restart()
    {
        await using var pd = await PdHarness.StartAsync(ShortTimeouts);
        var a = await pd.Client.PutStoreAsync(0, "127.0.0.1:20160", "127.0.0.1:20180");
        var b = await pd.Client.PutStoreAsync(0, "127.0.0.1:20161", null);
        Assert.NotEqual(0UL, a);
        Assert.True(b > a);

        Assert.Equal(a, await pd.Client.PutStoreAsync(a, "127.0.0.1:30160", null));
        var updated = await pd.Client.GetStoreAsync(a);
        Assert.NotNull(updated);
        Assert.Equal("127.0.0.1:30160", updated.Address);
        Assert.Null(updated.StatusAddress);
        Assert.Equal(StoreState.Up, updated.State);
        Assert.Null(await pd.Client.GetStoreAsync(999_999));

        await pd.RestartAsync();
        var all = await pd.Client.GetAllStoresAsync();
        Assert.Equal([a, b], all.Select(s => s.Id));
        Assert.Equal("127.0.0.1:30160", all[0].Address);
        Assert.All(all, s => Assert.Equal(StoreState.Up, s.State)); // A restarted PD gives stores a grace period.
    }

    [Fact]
    public async Task A_store_id_PD_never_allocated_is_refused_but_an_allocated_one_registers()
    {
        await using var pd = await PdHarness.StartAsync();
        var error = await Assert.ThrowsAsync<RpcRemoteException>(() => pd.Client.PutStoreAsync(1_000_000, "127.0.0.1:1", null));
        Assert.Equal(RpcStatus.InvalidArgument, error.Status);
        var id = await pd.Client.AllocIdAsync();
        Assert.Equal(id, await pd.Client.PutStoreAsync(id, "127.0.0.1:1", null));
    }

    [Fact]
    public async Task Store_state_follows_heartbeats()
    {
        await using var pd = await PdHarness.StartAsync(ShortTimeouts);
        var id = await pd.Client.PutStoreAsync(0, "127.0.0.1:20160", null);
        Assert.Equal(StoreState.Up, (await pd.Client.GetStoreAsync(id))!.State);

        pd.Clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(StoreState.Up, (await pd.Client.GetStoreAsync(id))!.State);
        pd.Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(StoreState.Disconnected, (await pd.Client.GetStoreAsync(id))!.State);
        pd.Clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(StoreState.Down, (await pd.Client.GetStoreAsync(id))!.State);

        await pd.Client.StoreHeartbeatAsync(id, PdHarness.Stats());
        var store = await pd.Client.GetStoreAsync(id);
        Assert.Equal(StoreState.Up, store!.State);
        Assert.Equal(pd.Clock.Now.ToUnixTimeMilliseconds(), store.LastHeartbeatUnixMs);
        Assert.Equal(PdHarness.Stats(), pd.Server.Stores.StatsOf(id));
    }

    [Fact]
    public async Task A_tombstoned_store_may_not_come_back()
    {
        await using var pd = await PdHarness.StartAsync();
        var id = await pd.Client.PutStoreAsync(0, "127.0.0.1:20160", null);
        await pd.StopServerAsync();
        using (var metadata = MetadataStore.Open(pd.Directory))
        {
            metadata.Write(new MetaRecord(MetaRecordKind.PutStore, Store: new StoreInfo(id, "127.0.0.1:20160", null, StoreState.Tombstone, 0)));
        }
        await pd.StartServerAsync();
        Assert.Equal(StoreState.Tombstone, (await pd.Client.GetStoreAsync(id))!.State);
        var error = await Assert.ThrowsAsync<RpcRemoteException>(() => pd.Client.PutStoreAsync(id, "127.0.0.1:20160", null));
        Assert.Equal(RpcStatus.InvalidArgument, error.Status);
        Assert.Contains("tombstone", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<RpcRemoteException>(() => pd.Client.StoreHeartbeatAsync(id, PdHarness.Stats()));
    }
}
