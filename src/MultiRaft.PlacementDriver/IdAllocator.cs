using MultiRaft.PlacementDriver.Storage;

namespace MultiRaft.PlacementDriver;

/// <summary>
/// Hands out ids (stores, regions, peers share one space), never the same one twice, across restarts. Ids
/// are reserved in blocks: the end of a block is made durable before the first id of it is handed out, and a
/// restart continues after the last reserved block, skipping whatever of it was not used.
/// </summary>
public sealed class IdAllocator
{
    /// <summary>Ids reserved per durable write: one fsync serves this many allocations.</summary>
    public const ulong BlockSize = 1000;

    public const int MaxCount = 10_000;

    private readonly Lock _lock = new();
    private readonly MetadataStore _metadata;
    private ulong _next;
    private ulong _reservedEnd;

    public IdAllocator(MetadataStore metadata)
    {
        _metadata = metadata;
        _reservedEnd = metadata.Recovered.IdHighWater;
        _next = _reservedEnd + 1;
    }

    /// <summary>Allocates <paramref name="count"/> consecutive ids and returns the first.</summary>
    public ulong Allocate(int count)
    {
        if (count is < 1 or > MaxCount)
        {
            throw new ArgumentException($"id count must be between 1 and {MaxCount}, not {count}", nameof(count));
        }
        lock (_lock)
        {
            var first = _next;
            var last = first + (ulong)count - 1;
            if (last > _reservedEnd)
            {
                var end = last + BlockSize;
                _metadata.Write(new MetaRecord(MetaRecordKind.IdHighWater, end));
                _reservedEnd = end;
            }
            _next = last + 1;
            return first;
        }
    }

    /// <summary>Whether <paramref name="id"/> has been handed out (so a store may register under it).</summary>
    public bool WasAllocated(ulong id)
    {
        lock (_lock)
        {
            return id != 0 && id < _next;
        }
    }
}
