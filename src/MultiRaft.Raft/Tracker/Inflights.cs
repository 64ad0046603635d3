namespace MultiRaft.Raft.Tracker;

/// <summary>
/// The appends sent to one follower and not yet acknowledged, as a ring buffer of (last index, bytes).
/// Bounded by count and by bytes so that a slow follower cannot make the leader buffer without limit.
/// </summary>
public sealed class Inflights
{
    private readonly ulong[] _indexes;
    private readonly long[] _bytes;
    private readonly long _maxBytes;
    private int _start;
    private long _totalBytes;

    public Inflights(int capacity, long maxBytes)
    {
        _indexes = new ulong[capacity];
        _bytes = new long[capacity];
        _maxBytes = maxBytes;
    }

    public int Count { get; private set; }

    public bool Full => Count == _indexes.Length || (_maxBytes > 0 && _totalBytes >= _maxBytes);

    public void Add(ulong lastIndex, long bytes)
    {
        if (Full)
        {
            throw new InvalidOperationException("cannot add to a full inflight window");
        }
        var slot = (_start + Count) % _indexes.Length;
        _indexes[slot] = lastIndex;
        _bytes[slot] = bytes;
        Count++;
        _totalBytes += bytes;
    }

    /// <summary>Frees every inflight append whose last index is ≤ <paramref name="index"/>.</summary>
    public void FreeLE(ulong index)
    {
        while (Count > 0 && _indexes[_start] <= index)
        {
            _totalBytes -= _bytes[_start];
            _start = (_start + 1) % _indexes.Length;
            Count--;
        }
        if (Count == 0)
        {
            _start = 0;
        }
    }

    /// <summary>Frees the oldest inflight append, whatever its index.</summary>
    public void FreeFirstOne()
    {
        if (Count > 0)
        {
            FreeLE(_indexes[_start]);
        }
    }

    public void Reset()
    {
        Count = 0;
        _start = 0;
        _totalBytes = 0;
    }
}
