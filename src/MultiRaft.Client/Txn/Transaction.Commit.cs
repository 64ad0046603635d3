using System.Collections.Concurrent;
using MultiRaft.Protocol.Txn;

namespace MultiRaft.Client.Txn;

/// <summary>
/// Two-phase commit. Prewrite locks every written key at the start timestamp (regions in parallel) and fails
/// the whole transaction on a write conflict or a lock of a running transaction; then the primary key (the
/// first written key in key order) is committed at a fresh timestamp — the instant the transaction commits —
/// and the secondaries after it. Every step is idempotent on the stores, so a step whose answer was lost is
/// simply sent again.
/// </summary>
public sealed partial class Transaction
{
    private const int MaxPrewriteRounds = 8;

    /// <summary>
    /// Commits the buffered writes atomically and returns the commit timestamp (for a transaction that wrote
    /// nothing, its start timestamp). <see cref="TxnConflictException"/>: nothing was committed, retry the
    /// whole transaction. <see cref="UnknownOutcomeException"/>: the primary's commit was sent but its answer
    /// never came; the transaction may or may not have committed.
    /// </summary>
    public async Task<ulong> CommitAsync(CancellationToken cancellation = default)
    {
        CheckActive();
        if (_writes.Count == 0)
        {
            Finish(TxnState.Committed);
            return StartTs;
        }
        try
        {
            try
            {
                await PrewriteAsync(cancellation).ConfigureAwait(false);
            }
            catch (TxnConflictException)
            {
                // Release the locks already taken now, rather than leave them in others' way until their TTL.
                _client.RunInBackground(_client.Resolver.SettleAsync([.. _writes.Keys], StartTs, 0, CancellationToken.None));
                throw;
            }
            var commitTs = await CommitPrimaryAsync(cancellation).ConfigureAwait(false);
            var secondaries = CommitSecondariesAsync(SecondaryKeys(), commitTs);
            if (_client.Options.CommitSecondariesInBackground)
            {
                _client.RunInBackground(secondaries);
            }
            else
            {
                await secondaries.ConfigureAwait(false);
            }
            Finish(TxnState.Committed);
            return commitTs;
        }
        catch
        {
            Finish(TxnState.RolledBack); // Committed or not, this transaction object is done.
            throw;
        }
    }

    /// <summary>The writes in key order, sorted once per commit (a Put or Delete drops the order).</summary>
    private List<TxnMutation> Mutations() => _ordered ??= [.. _writes.Values.OrderBy(w => w.Key, KeyOrder.Instance)];

    internal byte[] PrimaryKey => Mutations()[0].Key;

    internal List<byte[]> SecondaryKeys() => [.. Mutations().Skip(1).Select(m => m.Key)];

    /// <summary>Phase one: every key locked at the start timestamp, or a <see cref="TxnConflictException"/>
    /// (the locks already taken are left to expire or to the resolvers; they block nobody past their TTL).</summary>
    internal async Task PrewriteAsync(CancellationToken cancellation)
    {
        var primary = PrimaryKey;
        var ttlMs = (ulong)_client.Options.LockTtl.TotalMilliseconds;
        var pending = Mutations();
        for (var round = 0; pending.Count > 0; round++)
        {
            var blockers = new ConcurrentBag<LockInfo>();
            var refused = new ConcurrentBag<TxnMutation>();
            KeyError? conflict = null;
            await _client.Raw.RunBatchAsync(pending, m => m.Key, m => m.Key.Length + (long)(m.Value?.Length ?? 0), isWrite: false, async (store, context, chunk, token) =>
            {
                var reply = await _client.Raw.CallAsync<PrewriteRequest, TxnWriteResponse>(
                    store, TxnMethods.Prewrite, new PrewriteRequest(context, [.. chunk], primary, StartTs, ttlMs), token).ConfigureAwait(false);
                if (reply.Error is null && reply.Errors.Length > 0)
                {
                    chunk.ForEach(refused.Add); // A refused prewrite staged none of its keys.
                    foreach (var error in reply.Errors)
                    {
                        if (error is { Kind: KeyErrorKind.Locked, Lock: { } other })
                        {
                            blockers.Add(other);
                        }
                        else
                        {
                            conflict ??= error;
                        }
                    }
                }
                return reply.Error;
            }, "prewrite", cancellation).ConfigureAwait(false);
            TxnClient.ThrowOnKeyError(conflict);
            if (refused.IsEmpty)
            {
                return;
            }
            // Only locks stood in the way: clear those of finished transactions and try those keys again.
            if (round + 1 == MaxPrewriteRounds || !await _client.Resolver.ResolveAsync(blockers, cancellation).ConfigureAwait(false))
            {
                var other = blockers.First();
                throw new TxnConflictException($"key {Convert.ToHexString(other.Key)} is locked by the running transaction {other.StartTs}");
            }
            pending = [.. refused];
        }
    }

    /// <summary>Phase two's decisive step: the primary committed at a fresh timestamp, which commits the
    /// whole transaction.</summary>
    internal async Task<ulong> CommitPrimaryAsync(CancellationToken cancellation)
    {
        await _client.SafePoints.EnsureRegisteredAsync(cancellation).ConfigureAwait(false);
        if (StartTs < _client.SafePoints.GcSafePoint)
        {
            throw new TxnConflictException($"the transaction ran past GC: its start {StartTs} is below the safe point {_client.SafePoints.GcSafePoint}");
        }
        var commitTs = await _client.Tso.NextAsync(cancellation).ConfigureAwait(false);
        List<KeyError> errors;
        try
        {
            errors = await CommitKeysAsync([PrimaryKey], commitTs, cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ClusterUnavailableException or KvTimeoutException or OperationCanceledException)
        {
            throw new UnknownOutcomeException($"the commit of the primary key was sent but not confirmed; the transaction may have committed: {e.Message}", e);
        }
        if (errors.Count > 0)
        {
            // Rolled back by a resolver (our locks outlived their TTL) or never prewritten: not committed.
            throw new TxnConflictException($"the transaction was rolled back before it could commit: {errors[0]}");
        }
        return commitTs;
    }

    /// <summary>Commits the other keys and returns the key errors (none expected). Failures are harmless: a
    /// reader that meets one of their locks asks the primary and commits it.</summary>
    internal async Task<List<KeyError>> CommitSecondariesAsync(List<byte[]> keys, ulong commitTs) =>
        keys.Count > 0 ? await CommitKeysAsync(keys, commitTs, CancellationToken.None).ConfigureAwait(false) : [];

    private async Task<List<KeyError>> CommitKeysAsync(List<byte[]> keys, ulong commitTs, CancellationToken cancellation)
    {
        var errors = new ConcurrentBag<KeyError>();
        await _client.Raw.RunBatchAsync(keys, k => k, k => k.Length, isWrite: false, async (store, context, chunk, token) =>
        {
            var reply = await _client.Raw.CallAsync<CommitRequest, TxnWriteResponse>(
                store, TxnMethods.Commit, new CommitRequest(context, [.. chunk], StartTs, commitTs), token).ConfigureAwait(false);
            foreach (var error in reply.Errors ?? [])
            {
                errors.Add(error);
            }
            return reply.Error;
        }, "commit", cancellation).ConfigureAwait(false);
        return [.. errors];
    }
}
