using System.Collections;
using System.Runtime.InteropServices;

namespace MultiRaft.Raft;

/// <summary>
/// A read-only view of entries that a node hands to its host in a <see cref="Ready"/>. It is backed by a
/// buffer the node reuses, so that handing out entries allocates nothing: the view is valid until the next
/// <see cref="RaftNode.GetReady"/>. Copy (<see cref="ToArray"/>) what must outlive that.
/// </summary>
public sealed class EntryList : IReadOnlyList<Entry>
{
    private readonly List<Entry> _items;

    public EntryList()
        : this([])
    {
    }

    internal EntryList(List<Entry> items) => _items = items;

    public static EntryList Empty { get; } = new();

    public int Count => _items.Count;

    public int Length => _items.Count;

    public Entry this[int index] => _items[index];

    public ReadOnlySpan<Entry> Span => CollectionsMarshal.AsSpan(_items);

    public Entry[] ToArray() => [.. _items];

    public static implicit operator ReadOnlySpan<Entry>(EntryList list) => list.Span;

    public List<Entry>.Enumerator GetEnumerator() => _items.GetEnumerator();

    IEnumerator<Entry> IEnumerable<Entry>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
