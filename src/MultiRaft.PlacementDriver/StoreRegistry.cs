using MultiRaft.PlacementDriver.Storage;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Pd;

namespace MultiRaft.PlacementDriver;

/// <summary>
/// The stores PD knows. Registrations and address changes are durable before they are answered; heartbeats
/// are not persisted (they come every few seconds and only feed liveness). A store's state is derived from
/// the time of its last heartbeat whenever it is read, so no timer has to walk the stores.
/// </summary>
public sealed class StoreRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, Entry> _stores = [];
    private readonly MetadataStore _metadata;
    private readonly IdAllocator _ids;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _disconnectedAfter;
    private readonly TimeSpan _downAfter;

    public StoreRegistry(MetadataStore metadata, IdAllocator ids, PdServerOptions options)
    {
        _metadata = metadata;
        _ids = ids;
        _clock = options.Clock;
        _disconnectedAfter = options.StoreDisconnectedAfter;
        _downAfter = options.StoreDownAfter;
        // Heartbeat times are not persisted: a restarted PD gives every store a fresh grace period rather
        // than declaring the whole cluster down because PD itself was away.
        var now = _clock.GetUtcNow();
        foreach (var store in metadata.Recovered.Stores.Values)
        {
            _stores[store.Id] = new Entry(store.Id, store.Address, store.StatusAddress, store.State == StoreState.Tombstone, now);
        }
    }

    /// <summary>Registers a store (id 0: allocates one) or updates a known store's addresses; returns its id.</summary>
    public ulong Put(ulong storeId, string address, string? statusAddress)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        lock (_lock)
        {
            if (storeId == 0)
            {
                storeId = _ids.Allocate(1);
            }
            else if (_stores.TryGetValue(storeId, out var known))
            {
                if (known.Tombstone)
                {
                    throw new ArgumentException($"store {storeId} is a tombstone and may not come back", nameof(storeId));
                }
            }
            else if (!_ids.WasAllocated(storeId))
            {
                // An id PD never handed out could collide with a region or peer id allocated later.
                throw new ArgumentException($"store id {storeId} was not allocated by this PD", nameof(storeId));
            }
            var now = _clock.GetUtcNow();
            var entry = new Entry(storeId, address, statusAddress, false, now);
            _metadata.Write(new MetaRecord(MetaRecordKind.PutStore, Store: entry.ToInfo(StoreState.Up)));
            if (_stores.TryGetValue(storeId, out var existing))
            {
                entry.Stats = existing.Stats;
            }
            _stores[storeId] = entry;
            return storeId;
        }
    }

    /// <summary>Records a heartbeat; an unknown or tombstoned store is refused.</summary>
    public void Heartbeat(ulong storeId, StoreStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        lock (_lock)
        {
            if (!_stores.TryGetValue(storeId, out var entry) || entry.Tombstone)
            {
                throw new ArgumentException($"store {storeId} is not registered (or is a tombstone)", nameof(storeId));
            }
            entry.LastHeartbeat = _clock.GetUtcNow();
            entry.Stats = stats;
        }
    }

    public StoreInfo? Get(ulong storeId)
    {
        lock (_lock)
        {
            return _stores.TryGetValue(storeId, out var entry) ? entry.ToInfo(StateOf(entry, _clock.GetUtcNow())) : null;
        }
    }

    /// <summary>Every store, by id.</summary>
    public StoreInfo[] GetAll() => Select(static _ => true);

    /// <summary>The stores that are Up now, by id (registration order, as ids only grow).</summary>
    public StoreInfo[] GetUp() => Select(static s => s.State == StoreState.Up);

    /// <summary>The last stats a store reported, or null.</summary>
    public StoreStats? StatsOf(ulong storeId)
    {
        lock (_lock)
        {
            return _stores.TryGetValue(storeId, out var entry) ? entry.Stats : null;
        }
    }

    private StoreInfo[] Select(Func<StoreInfo, bool> filter)
    {
        var result = new List<StoreInfo>();
        lock (_lock)
        {
            var now = _clock.GetUtcNow();
            foreach (var entry in _stores.Values)
            {
                var info = entry.ToInfo(StateOf(entry, now));
                if (filter(info))
                {
                    result.Add(info);
                }
            }
        }
        result.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return [.. result];
    }

    private StoreState StateOf(Entry entry, DateTimeOffset now)
    {
        if (entry.Tombstone)
        {
            return StoreState.Tombstone;
        }
        var silent = now - entry.LastHeartbeat;
        return silent >= _downAfter ? StoreState.Down : silent >= _disconnectedAfter ? StoreState.Disconnected : StoreState.Up;
    }

    private sealed class Entry(ulong id, string address, string? statusAddress, bool tombstone, DateTimeOffset lastHeartbeat)
    {
        public bool Tombstone { get; } = tombstone;

        public DateTimeOffset LastHeartbeat { get; set; } = lastHeartbeat;

        public StoreStats? Stats { get; set; }

        public StoreInfo ToInfo(StoreState state) => new(id, address, statusAddress, state, LastHeartbeat.ToUnixTimeMilliseconds());
    }
}
