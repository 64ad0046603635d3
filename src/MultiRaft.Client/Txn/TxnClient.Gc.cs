using MultiRaft.Protocol.Txn;

namespace MultiRaft.Client.Txn;

/// <summary>What one GC pass did: the safe point PD agreed to, and the work done below it.</summary>
public sealed record GcReport(ulong SafePoint, int Regions, int LocksResolved, int VersionsDeleted);

/// <summary>
/// MVCC garbage collection, driven from a client the way TiKV's GC worker does it: PD moves the cluster's
/// safe point (never past a running transaction's start), every lock older than it is resolved (a lock must
/// not outlive the commit record it depends on), then every region drops the versions no read at or above
/// the safe point can see.
/// </summary>
public sealed partial class TxnClient
{
    private const int LocksPerScan = 256;

    public async Task<GcReport> GcAsync(ulong safePoint, CancellationToken cancellation = default)
    {
        // This client's own registration first, so transactions it finished no longer hold GC back.
        await _safePoints.RefreshAsync(cancellation).ConfigureAwait(false);
        var agreed = (await _raw.Pd.UpdateGcSafePointAsync(safePoint, cancellation).ConfigureAwait(false)).SafePoint;
        if (agreed == 0)
        {
            return new GcReport(0, 0, 0, 0);
        }
        var (regions, locks, versions) = (0, 0, 0);
        byte[] from = [0]; // The smallest key: regions are walked in key order.
        while (true)
        {
            locks += await ResolveOldLocksAsync(from, agreed, cancellation).ConfigureAwait(false);
            var (deleted, regionEnd) = await _raw.RunAsync(from, isWrite: false, async (store, region, context, token) =>
            {
                var reply = await _raw.CallAsync<GcRequest, GcResponse>(store, TxnMethods.Gc, new GcRequest(context, agreed), token).ConfigureAwait(false);
                return (reply.Error, (reply.VersionsDeleted, region.Region.EndKey));
            }, cancellation).ConfigureAwait(false);
            regions++;
            versions += deleted;
            if (regionEnd.Length == 0)
            {
                return new GcReport(agreed, regions, locks, versions);
            }
            from = regionEnd;
        }
    }

    /// <summary>Resolves the locks older than the safe point in the region holding <paramref name="start"/>
    /// (from that key on). A transaction still running below the safe point stops GC: it must finish first.</summary>
    private async Task<int> ResolveOldLocksAsync(byte[] start, ulong safePoint, CancellationToken cancellation)
    {
        var resolved = 0;
        while (true)
        {
            var (locks, regionEnd) = await _raw.RunAsync(start, isWrite: false, async (store, region, context, token) =>
            {
                var reply = await _raw.CallAsync<ScanLockRequest, ScanLockResponse>(
                    store, TxnMethods.ScanLock, new ScanLockRequest(context, safePoint, start, LocksPerScan), token).ConfigureAwait(false);
                return (reply.Error, (reply.Locks, region.Region.EndKey));
            }, cancellation).ConfigureAwait(false);
            if (locks.Length > 0 && !await _resolver.ResolveAsync(locks, cancellation).ConfigureAwait(false))
            {
                throw new TxnConflictException($"GC below {safePoint} waits for a running transaction that started before it");
            }
            resolved += locks.Length;
            if (locks.Length < LocksPerScan)
            {
                return resolved;
            }
            start = [.. locks[^1].Key, 0];
            if (regionEnd.Length > 0 && KeyOrder.Instance.Compare(start, regionEnd) >= 0)
            {
                return resolved;
            }
        }
    }
}
