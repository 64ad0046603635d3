using MultiRaft.Transport.Rpc;

namespace MultiRaft.Client.Txn;

/// <summary>
/// Keeps GC below this client's running transactions: PD holds a service safe point for the client that is
/// never above the start timestamp of a transaction still running here, refreshed at a third of its TTL.
/// Invariant: a transaction is handed its start timestamp only once the registered value is at most that
/// timestamp (a registration taken from an older reading is refreshed first).
/// </summary>
internal sealed class SafePointKeeper : IAsyncDisposable
{
    private readonly PdClient _pd;
    private readonly TsoBatcher _tso;
    private readonly TimeSpan _ttl;
    private readonly string _serviceId = $"txn-client-{Guid.NewGuid():N}";
    private readonly Lock _lock = new();
    private readonly SortedDictionary<ulong, int> _running = [];
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _refresher;
    private ulong _registered;
    private long _validUntilTicks; // Environment.TickCount64 ms; 0 before the first registration.

    public SafePointKeeper(PdClient pd, TsoBatcher tso, TimeSpan ttl)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ttl, TimeSpan.FromSeconds(3));
        _pd = pd;
        _tso = tso;
        _ttl = ttl;
        _refresher = RefreshLoopAsync();
    }

    /// <summary>PD's GC safe point as last heard: a transaction that started below it may not commit.</summary>
    public ulong GcSafePoint { get; private set; }

    /// <summary>A start timestamp for a new transaction, covered by the service safe point.</summary>
    public async Task<ulong> BeginAsync(CancellationToken cancellation)
    {
        var startTs = await _tso.NextAsync(cancellation).ConfigureAwait(false);
        lock (_lock)
        {
            _running[startTs] = _running.GetValueOrDefault(startTs) + 1;
        }
        try
        {
            // A refresh in progress may have read the running set before this transaction joined it: let it
            // finish, so that the check below sees what it registered. Later refreshes see this transaction.
            await _refreshing.WaitAsync(cancellation).ConfigureAwait(false);
            _refreshing.Release();
            await EnsureRegisteredAsync(cancellation).ConfigureAwait(false);
            if (Volatile.Read(ref _registered) > startTs)
            {
                // Registered from a TSO reading taken before this transaction joined the running set.
                await RefreshAsync(cancellation).ConfigureAwait(false);
            }
            if (startTs < GcSafePoint)
            {
                throw new TxnConflictException($"start timestamp {startTs} is below the GC safe point {GcSafePoint}; begin again");
            }
        }
        catch
        {
            End(startTs);
            throw;
        }
        return startTs;
    }

    public void End(ulong startTs)
    {
        lock (_lock)
        {
            if (_running.TryGetValue(startTs, out var count))
            {
                if (count == 1)
                {
                    _running.Remove(startTs);
                }
                else
                {
                    _running[startTs] = count - 1;
                }
            }
        }
    }

    /// <summary>Refreshes the registration if it may have lapsed (a client paused past its TTL), so that
    /// <see cref="GcSafePoint"/> is current before a commit relies on it.</summary>
    public Task EnsureRegisteredAsync(CancellationToken cancellation) =>
        Environment.TickCount64 < Volatile.Read(ref _validUntilTicks) ? Task.CompletedTask : RefreshAsync(cancellation);

    public async Task RefreshAsync(CancellationToken cancellation)
    {
        await _refreshing.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            var sentAt = Environment.TickCount64;
            var now = await _tso.NextAsync(cancellation).ConfigureAwait(false);
            ulong candidate;
            lock (_lock)
            {
                candidate = _running.Count > 0 ? Math.Min(_running.Keys.First(), now) : now;
            }
            var answer = await _pd.UpdateServiceSafePointAsync(_serviceId, candidate, _ttl, cancellation).ConfigureAwait(false);
            if (!answer.Accepted)
            {
                // Transactions that started below the GC safe point are lost anyway (they cannot commit):
                // keep GC at bay for the others.
                candidate = Math.Max(candidate, answer.GcSafePoint);
                answer = await _pd.UpdateServiceSafePointAsync(_serviceId, candidate, _ttl, cancellation).ConfigureAwait(false);
            }
            GcSafePoint = answer.GcSafePoint;
            if (answer.Accepted)
            {
                Volatile.Write(ref _registered, candidate);
                Volatile.Write(ref _validUntilTicks, sentAt + (long)(_ttl.TotalMilliseconds * 2 / 3));
            }
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private async Task RefreshLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_ttl / 3, _stop.Token).ConfigureAwait(false);
                await RefreshAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException or RpcRemoteException)
            {
                // PD unreachable for now: the next round tries again, and a commit refreshes before it relies on it.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _refresher.ConfigureAwait(false);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _pd.UpdateServiceSafePointAsync(_serviceId, 0, TimeSpan.Zero, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException or RpcRemoteException or OperationCanceledException)
        {
            // The registration expires on its own after its TTL.
        }
        _stop.Dispose();
        _refreshing.Dispose();
    }
}
