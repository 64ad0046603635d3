namespace MultiRaft.Storage.Txn;

/// <summary>
/// PD's timestamps: milliseconds since the Unix epoch in the high bits, a logical counter in the low
/// <see cref="LogicalBits"/> bits, so that one millisecond hands out 2^18 distinct, ordered timestamps. Lock time
/// to live is in milliseconds and is measured on the physical part only.
/// </summary>
public static class TxnTimestamp
{
    public const int LogicalBits = 18;

    public static ulong PhysicalMs(ulong ts) => ts >> LogicalBits;

    public static ulong Compose(ulong physicalMs, ulong logical)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(logical, 1UL << LogicalBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(physicalMs, 1UL << (64 - LogicalBits));
        return (physicalMs << LogicalBits) | logical;
    }
}
