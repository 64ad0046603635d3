using System.Buffers;

namespace MultiRaft.Raft;

/// <summary>
/// The entries of one append, in a pooled array shared by every message that carries them (followers in
/// step receive the same entries). Each holder — each message, and the leader while it may reuse the batch —
/// holds one reference; the array goes back to the pool when the last is released. Releasing is optional:
/// a host that never releases only costs the garbage collector an array.
/// </summary>
internal sealed class EntryBatch
{
    private Entry[] _array;
    private int _references = 1;

    public EntryBatch(List<Entry> entries)
    {
        Count = entries.Count;
        _array = ArrayPool<Entry>.Shared.Rent(Count);
        entries.CopyTo(_array);
    }

    public int Count { get; }

    public ReadOnlyMemory<Entry> Memory => new(_array, 0, Count);

    public Entry First => _array[0];

    public Entry Last => _array[Count - 1];

    public EntryBatch AddReference()
    {
        Interlocked.Increment(ref _references);
        return this;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            var array = _array;
            _array = [];
            // Cleared so pooled arrays do not keep command buffers alive.
            ArrayPool<Entry>.Shared.Return(array, clearArray: true);
        }
    }
}
