using MultiRaft.PlacementDriver.Storage;
using MultiRaft.Protocol.Pd;

namespace MultiRaft.PlacementDriver;

/// <summary>
/// The cluster's GC safe point and the service safe points that hold it back, as in TiKV. Versions that no
/// read at or above the GC safe point can see may be dropped, so it only moves up, never past a timestamp the
/// TSO has not handed out, and never past the lowest live service safe point (a running transaction's start).
/// <para>The GC safe point is persisted. Service safe points are leases kept only in memory: services refresh
/// them often, and an fsync per refresh would buy nothing that waiting does not. A restart forgets them, so for
/// <see cref="MaxTtl"/> after it the GC safe point does not move: by then every lease taken before the restart
/// has either been taken again or would have expired anyway.</para>
/// </summary>
internal sealed class GcSafePoints
{
    /// <summary>The longest lease a service may take, and so also how long GC waits after a restart. Ten
    /// minutes is TiDB's default GC life time; a service that needs longer refreshes its lease.</summary>
    public const long MaxTtlSeconds = 600;

    public static readonly TimeSpan MaxTtl = TimeSpan.FromSeconds(MaxTtlSeconds);

    private readonly Lock _lock = new();
    private readonly MetadataStore _metadata;
    private readonly TimestampOracle _tso;
    private readonly TimeProvider _clock;
    private readonly DateTimeOffset _frozenUntil;
    private readonly Dictionary<string, ServiceSafePoint> _services = new(StringComparer.Ordinal);
    private ulong _safePoint;

    /// <param name="newCluster">True when this PD has just created the cluster: no service can have taken a
    /// lease before, so GC need not wait for any to come back.</param>
    public GcSafePoints(MetadataStore metadata, TimestampOracle tso, TimeProvider clock, bool newCluster)
    {
        _metadata = metadata;
        _tso = tso;
        _clock = clock;
        _safePoint = metadata.Recovered.GcSafePoint;
        _frozenUntil = newCluster ? DateTimeOffset.MinValue : clock.GetUtcNow() + MaxTtl;
    }

    public ulong SafePoint
    {
        get
        {
            lock (_lock)
            {
                return _safePoint;
            }
        }
    }

    /// <summary>Moves the GC safe point up towards <paramref name="requested"/>, as far as the live service safe
    /// points allow (not at all for <see cref="MaxTtl"/> after a restart); returns where it is now.</summary>
    public ulong Update(ulong requested)
    {
        var latest = _tso.Current;
        if (requested > latest)
        {
            throw new ArgumentException($"safe point {requested} is above the current timestamp {latest}", nameof(requested));
        }
        lock (_lock)
        {
            var time = _clock.GetUtcNow();
            if (time < _frozenUntil)
            {
                return _safePoint;
            }
            var target = requested;
            foreach (var service in Live(time))
            {
                target = Math.Min(target, service.SafePoint);
            }
            if (target > _safePoint)
            {
                _metadata.Write(new MetaRecord(MetaRecordKind.GcSafePoint, target));
                _safePoint = target;
            }
            return _safePoint;
        }
    }

    /// <summary>Takes or refreshes <paramref name="serviceId"/>'s lease at <paramref name="safePoint"/> for
    /// <paramref name="ttlSeconds"/>, or withdraws it (TTL 0). A safe point below the GC safe point is refused
    /// and changes nothing: the versions it asks for may already be gone.</summary>
    public UpdateServiceSafePointResponse UpdateService(string serviceId, ulong safePoint, long ttlSeconds)
    {
        if (serviceId.Length == 0)
        {
            throw new ArgumentException("the service id is empty", nameof(serviceId));
        }
        if (ttlSeconds is < 0 or > MaxTtlSeconds)
        {
            throw new ArgumentException($"a service safe point's TTL must be between 0 and {MaxTtlSeconds} s, not {ttlSeconds}", nameof(ttlSeconds));
        }
        lock (_lock)
        {
            if (ttlSeconds == 0)
            {
                _services.Remove(serviceId);
                return new UpdateServiceSafePointResponse(true, _safePoint);
            }
            if (safePoint < _safePoint)
            {
                return new UpdateServiceSafePointResponse(false, _safePoint);
            }
            _services[serviceId] = new ServiceSafePoint(serviceId, safePoint, _clock.GetUtcNow().AddSeconds(ttlSeconds));
            return new UpdateServiceSafePointResponse(true, _safePoint);
        }
    }

    /// <summary>The GC safe point and the live service safe points, lowest (the one holding GC back) first.</summary>
    public (ulong SafePoint, ServiceSafePoint[] Services) Snapshot()
    {
        lock (_lock)
        {
            return (_safePoint, [.. Live(_clock.GetUtcNow()).OrderBy(s => s.SafePoint).ThenBy(s => s.ServiceId, StringComparer.Ordinal)]);
        }
    }

    /// <summary>Forgets the expired leases (a lease ends at its expiry) and returns the others.</summary>
    private Dictionary<string, ServiceSafePoint>.ValueCollection Live(DateTimeOffset time)
    {
        foreach (var (id, service) in _services)
        {
            if (service.ExpiresAt <= time)
            {
                _services.Remove(id); // Removing while enumerating is allowed for Dictionary since .NET Core 3.0.
            }
        }
        return _services.Values;
    }
}
