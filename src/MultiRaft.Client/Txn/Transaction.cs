using MultiRaft.Protocol;
using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Txn;

namespace MultiRaft.Client.Txn;

/// <summary>
/// One transaction: reads at <see cref="StartTs"/> (and its own buffered writes), writes buffered until
/// <see cref="CommitAsync"/>. Not thread-safe: one caller at a time. Dispose (or commit, or roll back) every
/// transaction: a forgotten one holds GC back until its client is disposed.
/// </summary>
public sealed partial class Transaction : IAsyncDisposable
{
    private readonly TxnClient _client;
    private readonly Dictionary<byte[], TxnMutation> _writes = new(ByteArrayComparer.Instance);
    private TxnState _state = TxnState.Active;
    private List<TxnMutation>? _ordered;

    internal Transaction(TxnClient client, ulong startTs)
    {
        _client = client;
        StartTs = startTs;
    }

    public ulong StartTs { get; }

    /// <summary>The value at the start timestamp, or this transaction's own buffered write; null: absent.</summary>
    public async Task<byte[]?> GetAsync(byte[] key, CancellationToken cancellation = default)
    {
        CheckActive();
        _client.Raw.CheckKey(key);
        if (_writes.TryGetValue(key, out var write))
        {
            return write.Value;
        }
        return await _client.GetAsync(key, StartTs, cancellation).ConfigureAwait(false);
    }

    /// <summary>The pairs found, in request order (absent keys left out), own writes included.</summary>
    public async Task<IReadOnlyList<KvEntry>> BatchGetAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        CheckActive();
        var unbuffered = new List<byte[]>();
        for (var i = 0; i < keys.Count; i++)
        {
            _client.Raw.CheckKey(keys[i], $"keys[{i}]");
            if (!_writes.ContainsKey(keys[i]))
            {
                unbuffered.Add(keys[i]);
            }
        }
        var stored = await _client.BatchGetAsync(unbuffered, StartTs, cancellation).ConfigureAwait(false);
        var pairs = new List<KvEntry>(keys.Count);
        foreach (var key in keys)
        {
            var value = _writes.TryGetValue(key, out var write) ? write.Value : stored.GetValueOrDefault(key);
            if (value is not null)
            {
                pairs.Add(new KvEntry(key, value));
            }
        }
        return pairs;
    }

    /// <summary>Up to <paramref name="limit"/> pairs of [start, end) (empty end: +inf) in key order, as this
    /// transaction sees them: the snapshot at its start with its own writes laid over it.</summary>
    public async Task<IReadOnlyList<KvEntry>> ScanAsync(byte[] start, byte[] end, int limit, CancellationToken cancellation = default)
    {
        CheckActive();
        _client.Raw.CheckRange(start, end);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var own = _writes.Values.Where(w => InRange(w.Key, start, end)).ToList();
        // Each buffered delete may hide one stored pair: ask for that many more.
        var stored = await _client.ScanAsync(start, end, limit + own.Count(w => w.Value is null), StartTs, cancellation).ConfigureAwait(false);
        var merged = new SortedDictionary<byte[], byte[]?>(KeyOrder.Instance);
        foreach (var pair in stored)
        {
            merged[pair.Key] = pair.Value;
        }
        var storedComplete = stored.Count < limit + own.Count(w => w.Value is null);
        foreach (var write in own)
        {
            // Past the last stored key of a cut-short scan, the stored data is unknown: an own put there
            // could displace a stored key that was never fetched, so only writes inside the fetched stretch count.
            if (storedComplete || KeyOrder.Instance.Compare(write.Key, stored[^1].Key) <= 0)
            {
                merged[write.Key] = write.Value;
            }
        }
        var pairs = new List<KvEntry>(limit);
        foreach (var (key, value) in merged)
        {
            if (value is not null && pairs.Count < limit)
            {
                pairs.Add(new KvEntry(key, value));
            }
        }
        return pairs;
    }

    /// <summary>Buffers a put; nothing is sent before <see cref="CommitAsync"/>.</summary>
    public void Put(byte[] key, byte[] value)
    {
        CheckActive();
        _client.Raw.CheckKey(key);
        _client.Raw.CheckValue(value);
        _writes[key] = new TxnMutation(TxnMutationKind.Put, key, value);
        _ordered = null;
    }

    /// <summary>Buffers a delete; nothing is sent before <see cref="CommitAsync"/>.</summary>
    public void Delete(byte[] key)
    {
        CheckActive();
        _client.Raw.CheckKey(key);
        _writes[key] = new TxnMutation(TxnMutationKind.Delete, key);
        _ordered = null;
    }

    /// <summary>Discards the buffered writes. Nothing was sent yet, so nothing needs undoing on the stores.</summary>
    public Task RollbackAsync(CancellationToken cancellation = default)
    {
        CheckActive();
        Finish(TxnState.RolledBack);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        if (_state == TxnState.Active)
        {
            Finish(TxnState.RolledBack);
        }
        return ValueTask.CompletedTask;
    }

    private void CheckActive()
    {
        if (_state != TxnState.Active)
        {
            throw new InvalidOperationException($"the transaction is {_state.ToString().ToLowerInvariant()}");
        }
    }

    private void Finish(TxnState state)
    {
        _state = state;
        _client.SafePoints.End(StartTs);
    }

    private static bool InRange(byte[] key, byte[] start, byte[] end) =>
        KeyOrder.Instance.Compare(key, start) >= 0 && (end.Length == 0 || KeyOrder.Instance.Compare(key, end) < 0);

    private enum TxnState
    {
        Active,
        Committed,
        RolledBack,
    }
}
