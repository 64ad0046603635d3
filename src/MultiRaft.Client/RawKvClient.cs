using System.Net;
using MultiRaft.Protocol;
using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Client;

/// <summary>
/// The range-routed client: each key goes to the leader of the region that holds it, found in a region cache
/// filled from PD and corrected by the stores' errors. Calls retry, with exponential backoff and jitter under
/// one deadline, whatever proves the request had no effect (NotLeader, EpochNotMatch, RegionNotFound,
/// KeyNotInRegion, ServerIsBusy, ProposalDropped); a write whose outcome is unknown (sent, then timeout or a
/// lost connection) is never re-sent: it surfaces as <see cref="UnknownOutcomeException"/>.
/// </summary>
public sealed partial class RawKvClient : IAsyncDisposable
{
    private readonly PdClient _pd;
    private readonly RawKvClientOptions _options;
    private readonly RegionCache _cache = new();
    private readonly SharedDeadlines _deadlines = new(SharedDeadlines.DefaultSlot);
    private readonly StoreConnections _stores;
    private readonly RequestCoalescer<KvEntry, bool>? _puts;
    private readonly RequestCoalescer<byte[], byte[]?>? _gets;

    public RawKvClient(IReadOnlyList<IPEndPoint> pdEndpoints, RawKvClientOptions? options = null)
    {
        _options = options ?? new RawKvClientOptions();
        _pd = new PdClient(pdEndpoints);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.ConnectionsPerStore, 1);
        _stores = new StoreConnections(_pd, _options.MaxFrameBytes, _options.ConnectionsPerStore);
        ArgumentOutOfRangeException.ThrowIfNegative(_options.CoalesceAfterInflight);
        if (_options.CoalesceAfterInflight > 0)
        {
            var calls = Math.Clamp(_options.MaxCoalescedCalls, 1, Math.Max(1, _options.MaxBatchKeys));
            _puts = new(SendPutsAsync, p => p.Key.Length + (long)p.Value.Length, _options.CoalesceAfterInflight, calls, _options.MaxBatchBytes);
            _gets = new(SendGetsAsync, k => k.Length, _options.CoalesceAfterInflight, calls, _options.MaxBatchBytes);
        }
    }

    /// <summary>Connects to PD at "host:port[,host:port...]".</summary>
    public static RawKvClient Create(string pdAddresses, RawKvClientOptions? options = null) =>
        new(PdClient.ParseEndpoints(pdAddresses), options);

    /// <summary>One attempt against one region's leader: a region error, or the answer.</summary>
    internal delegate Task<(RegionError? Error, T Value)> Attempt<T>(RpcClient store, CachedRegion region, RegionContext context, CancellationToken cancellation);

    /// <summary>An attempt that takes its arguments as <paramref name="state"/>: a static lambda then allocates no
    /// closure, which matters on the single-key paths.</summary>
    internal delegate Task<(RegionError? Error, T Value)> Attempt<in TState, T>(TState state, RpcClient store, CachedRegion region, RegionContext context, CancellationToken cancellation);

    /// <summary>Runs <paramref name="attempt"/> against the region holding <paramref name="key"/> until it
    /// succeeds, fails for good, or the deadline passes.</summary>
    internal Task<T> RunAsync<T>(byte[] key, bool isWrite, Attempt<T> attempt, CancellationToken cancellation) =>
        RunAsync(key, isWrite, attempt, static (attempt, store, region, context, token) => attempt(store, region, context, token), cancellation);

    /// <inheritdoc cref="RunAsync{T}(byte[], bool, Attempt{T}, CancellationToken)"/>
    internal async Task<T> RunAsync<TState, T>(byte[] key, bool isWrite, TState state, Attempt<TState, T> attempt, CancellationToken cancellation)
    {
        using var deadline = _deadlines.Start(_options.Timeout, cancellation);
        Backoff? backoff = null; // Most calls succeed at once: no backoff to allocate.
        string lastProblem = "no attempt finished";
        var storesAnswered = false; // Busy or slow stores end in a timeout; unreachable ones in "unavailable".
        try
        {
            while (true)
            {
                var region = _cache.Find(key);
                if (region is null)
                {
                    (region, var problem) = await LocateAsync(key, deadline.Token).ConfigureAwait(false);
                    if (region is null)
                    {
                        lastProblem = problem;
                        await (backoff ??= NewBackoff()).WaitAsync(deadline.Token).ConfigureAwait(false);
                        continue;
                    }
                }
                var target = region.Leader ?? FirstVoter(region.Region);
                RpcClient store;
                try
                {
                    store = await _stores.GetAsync(target.StoreId, deadline.Token).ConfigureAwait(false);
                }
                catch (RpcConnectionException e)
                {
                    lastProblem = $"store {target.StoreId}: {e.Message}";
                    _cache.SetLeader(region.Region.Id, NextVoter(region.Region, target));
                    await (backoff ??= NewBackoff()).WaitAsync(deadline.Token).ConfigureAwait(false);
                    continue;
                }
                var context = new RegionContext(region.Region.Id, region.Region.Epoch);
                (RegionError? Error, T Value) answer;
                try
                {
                    answer = await attempt(state, store, region.Leader == target ? region : region with { Leader = target }, context, deadline.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException)
                {
                    if (isWrite)
                    {
                        throw new UnknownOutcomeException($"the write was sent to store {target.StoreId} but its outcome is unknown: {e.Message}", e);
                    }
                    storesAnswered = e is RpcTimeoutException;
                    lastProblem = $"store {target.StoreId}: {e.Message}";
                    _cache.SetLeader(region.Region.Id, NextVoter(region.Region, target));
                    await (backoff ??= NewBackoff()).WaitAsync(deadline.Token).ConfigureAwait(false);
                    continue;
                }
                catch (OperationCanceledException e) when (isWrite && !cancellation.IsCancellationRequested)
                {
                    // The deadline passed while the write was on its way or waiting for its answer.
                    throw new UnknownOutcomeException($"the write was sent to store {target.StoreId} but no answer came within {_options.Timeout.TotalSeconds:0.#} s; its outcome is unknown", e);
                }
                catch (RpcRemoteException e) when (e.Status == RpcStatus.InvalidArgument)
                {
                    throw new KvInvalidArgumentException(e.Message, e);
                }
                catch (RpcRemoteException e) when (isWrite)
                {
                    throw new UnknownOutcomeException($"store {target.StoreId} failed the write: {e.Message}", e);
                }
                catch (RpcRemoteException e)
                {
                    lastProblem = $"store {target.StoreId}: {e.Message}";
                    await (backoff ??= NewBackoff()).WaitAsync(deadline.Token).ConfigureAwait(false);
                    continue;
                }
                if (answer.Error is null)
                {
                    return answer.Value;
                }
                lastProblem = answer.Error.ToString();
                storesAnswered = answer.Error.Kind is RegionErrorKind.ServerIsBusy or RegionErrorKind.Timeout or RegionErrorKind.ProposalDropped;
                if (!await HandleRegionErrorAsync(answer.Error, region.Region, target, isWrite, backoff ??= NewBackoff(), deadline.Token).ConfigureAwait(false))
                {
                    continue;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            var message = $"no answer within {_options.Timeout.TotalSeconds:0.#} s; last problem: {lastProblem}";
            throw storesAnswered ? new KvTimeoutException(message) : new ClusterUnavailableException(message);
        }
    }

    private Backoff NewBackoff() => new(_options.BackoffMin, _options.BackoffMax);

    /// <summary>Corrects the cache from a store's refusal and waits if retrying at once would not help.
    /// Returns false when the retry may go at once.</summary>
    private async Task<bool> HandleRegionErrorAsync(RegionError error, RegionInfo region, PeerInfo target, bool isWrite, Backoff backoff, CancellationToken cancellation)
    {
        switch (error.Kind)
        {
            case RegionErrorKind.InvalidArgument:
                throw new KvInvalidArgumentException(error.Message);
            case RegionErrorKind.NotLeader when error.Leader is { } leader && leader.Id != target.Id:
                _cache.SetLeader(region.Id, leader);
                return false;
            case RegionErrorKind.NotLeader:
                _cache.SetLeader(region.Id, NextVoter(region, target));
                break;
            case RegionErrorKind.EpochNotMatch when error.CurrentRegions is { Length: > 0 } current:
                _cache.Invalidate(region.Id);
                foreach (var fresh in current)
                {
                    _cache.Put(fresh, fresh.PeerOnStore(target.StoreId));
                }
                return false;
            case RegionErrorKind.Timeout when isWrite:
                throw new UnknownOutcomeException($"store {target.StoreId} timed out the write; its outcome is unknown: {error.Message}");
            case RegionErrorKind.EpochNotMatch or RegionErrorKind.RegionNotFound or RegionErrorKind.KeyNotInRegion:
                _cache.Invalidate(region.Id);
                break;
        }
        await backoff.WaitAsync(cancellation).ConfigureAwait(false);
        return true;
    }

    /// <summary>Asks PD for the region of <paramref name="key"/>; null with the reason when it cannot say.</summary>
    private async Task<(CachedRegion? Region, string Problem)> LocateAsync(byte[] key, CancellationToken cancellation)
    {
        try
        {
            var answer = await _pd.GetRegionAsync(key, cancellation).ConfigureAwait(false);
            return answer.Region is null
                ? (null, "PD knows no region for the key yet (is the cluster bootstrapped?)")
                : (_cache.Put(answer.Region, answer.Leader), "");
        }
        catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException or RpcRemoteException)
        {
            return (null, $"PD: {e.Message}");
        }
    }

    private static PeerInfo FirstVoter(RegionInfo region)
    {
        foreach (var peer in region.Peers)
        {
            if (!peer.IsLearner)
            {
                return peer;
            }
        }
        return region.Peers[0];
    }

    /// <summary>The voter after <paramref name="current"/>, round robin: where to look when the leader is unknown.</summary>
    private static PeerInfo NextVoter(RegionInfo region, PeerInfo current)
    {
        var voters = Array.FindAll(region.Peers, p => !p.IsLearner);
        var i = Array.FindIndex(voters, p => p.Id == current.Id);
        return voters.Length == 0 ? current : voters[(i + 1) % voters.Length];
    }

    internal async Task<TResponse> CallAsync<TRequest, TResponse>(RpcClient store, string method, TRequest request, CancellationToken cancellation)
    {
        var body = await store.CallAsync(method, ProtocolSerializer.Serialize(request), _options.RpcTimeout, cancellation).ConfigureAwait(false);
        try
        {
            return ProtocolSerializer.Deserialize<TResponse>(new System.Buffers.ReadOnlySequence<byte>(body));
        }
        catch (MessagePack.MessagePackSerializationException e)
        {
            // A store that answers garbage failed the call; the caller sees it as any other failed call.
            throw new RpcRemoteException(RpcStatus.Internal, $"{method}: malformed answer: {e.Message}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stores.DisposeAsync().ConfigureAwait(false);
        await _pd.DisposeAsync().ConfigureAwait(false);
    }
}
