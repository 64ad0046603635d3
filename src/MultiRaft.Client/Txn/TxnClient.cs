using System.Collections.Concurrent;
using System.Net;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Client.Txn;

/// <summary>
/// Snapshot-isolation transactions across regions, in the Percolator style: reads see the data committed
/// before the transaction's start timestamp; writes are buffered and committed by two-phase commit — every
/// key prewritten (locked) at the start timestamp, then the primary key committed at a commit timestamp,
/// which commits the transaction, then the other keys. Timestamps come from PD's oracle. Locks left by a
/// transaction whose client died are resolved by whoever meets them, through the primary.
/// Transactional keys live in their own key space: <see cref="RawKvClient"/> never sees them, nor they its keys.
/// </summary>
public sealed partial class TxnClient : IAsyncDisposable
{
    private readonly RawKvClient _raw;
    private readonly TsoBatcher _tso;
    private readonly LockResolver _resolver;
    private readonly SafePointKeeper _safePoints;
    private readonly ConcurrentDictionary<Task, bool> _background = new();

    public TxnClient(IReadOnlyList<IPEndPoint> pdEndpoints, TxnClientOptions? options = null)
    {
        Options = options ?? new TxnClientOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.LockTtl, TimeSpan.FromMilliseconds(100));
        _raw = new RawKvClient(pdEndpoints, Options.Raw);
        _tso = new TsoBatcher(_raw.Pd.TsoAsync);
        _resolver = new LockResolver(_raw, _tso);
        _safePoints = new SafePointKeeper(_raw.Pd, _tso, Options.ServiceSafePointTtl);
    }

    /// <summary>Connects to PD at "host:port[,host:port...]".</summary>
    public static TxnClient Create(string pdAddresses, TxnClientOptions? options = null) =>
        new(PdClient.ParseEndpoints(pdAddresses), options);

    public TxnClientOptions Options { get; }

    internal RawKvClient Raw => _raw;

    /// <summary>PD's timestamps, concurrent requests sharing calls.</summary>
    internal TsoBatcher Tso => _tso;

    internal LockResolver Resolver => _resolver;

    internal SafePointKeeper SafePoints => _safePoints;

    /// <summary>Starts a transaction at a fresh timestamp from PD.</summary>
    public async Task<Transaction> BeginAsync(CancellationToken cancellation = default) =>
        new(this, await _safePoints.BeginAsync(cancellation).ConfigureAwait(false));

    /// <summary>Work that outlives a commit call (committing secondaries); disposal waits for it.</summary>
    /// <summary>Its failure is nobody's to report: locks it leaves are settled by the readers that meet them
    /// (through the primary), so the outcome is observed and dropped.</summary>
    internal void RunInBackground(Task work)
    {
        var settled = work.ContinueWith(static done => _ = done.Exception, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        _background[settled] = true;
        settled.ContinueWith(done => _background.TryRemove(done, out _), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Task.WhenAll(_background.Keys).WaitAsync(Options.Raw.Timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Work still running is abandoned; what it leaves is settled by readers.
        }
        await _safePoints.DisposeAsync().ConfigureAwait(false);
        await _raw.DisposeAsync().ConfigureAwait(false);
    }
}
