using MultiRaft.Protocol;
using MultiRaft.Protocol.Pd;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.PlacementDriver.Tests;

/// <summary>The GC safe point RPCs through <see cref="PdClient"/> against a real PD, across a restart.</summary>
public sealed class GcSafePointRpcTests
{
    [Fact]
    public async Task Safe_points_work_through_the_client_and_the_gc_safe_point_survives_a_restart()
    {
        await using var pd = await PdHarness.StartAsync();
        Assert.Equal(0UL, (await pd.Client.GetGcSafePointAsync()).SafePoint);
        var ts = await pd.Client.TsoAsync();
        Assert.Equal(new UpdateServiceSafePointResponse(true, 0), await pd.Client.UpdateServiceSafePointAsync("txn-1", ts - 10, TimeSpan.FromMinutes(1)));
        Assert.Equal(ts - 10, (await pd.Client.UpdateGcSafePointAsync(ts)).SafePoint);
        Assert.Equal(ts - 10, (await pd.Client.GetGcSafePointAsync()).SafePoint);
        Assert.Equal(new UpdateServiceSafePointResponse(false, ts - 10), await pd.Client.UpdateServiceSafePointAsync("txn-2", ts - 11, TimeSpan.FromMinutes(1)));

        await AssertInvalid(() => pd.Client.UpdateGcSafePointAsync(ts + 1));
        await AssertInvalid(() => pd.Client.UpdateServiceSafePointAsync("txn-1", ts, GcSafePoints.MaxTtl + TimeSpan.FromSeconds(1)));
        await AssertInvalid(() => pd.Client.UpdateServiceSafePointAsync("", ts, TimeSpan.FromMinutes(1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => pd.Client.UpdateServiceSafePointAsync("txn-1", ts, TimeSpan.FromSeconds(-1)));

        await pd.RestartAsync();
        Assert.Equal(ts - 10, (await pd.Client.GetGcSafePointAsync()).SafePoint);
        var later = await pd.Client.TsoAsync();
        Assert.Equal(ts - 10, (await pd.Client.UpdateGcSafePointAsync(later)).SafePoint); // Waiting for the leases it forgot.
        pd.Clock.Advance(GcSafePoints.MaxTtl);
        Assert.Equal(later, (await pd.Client.UpdateGcSafePointAsync(later)).SafePoint);
        await pd.RestartAsync();
        Assert.Equal(later, (await pd.Client.GetGcSafePointAsync()).SafePoint);
    }

    private static async Task AssertInvalid(Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<RpcRemoteException>(call);
        Assert.Equal(RpcStatus.InvalidArgument, error.Status);
    }
}
