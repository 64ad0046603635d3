namespace MultiRaft.PlacementDriver;

/// <summary>A service's lease on old versions: GC stays at or below <see cref="SafePoint"/> until
/// <see cref="ExpiresAt"/>, unless the service refreshes or withdraws it first.</summary>
public sealed record ServiceSafePoint(string ServiceId, ulong SafePoint, DateTimeOffset ExpiresAt);
