using MultiRaft.Storage.Kv;

namespace MultiRaft.Storage.Txn;

/// <summary>
/// The user keys of the txn key space in [start, end), ascending, each with the bytes of everything stored for it:
/// all its values, its lock and all its write records, merged from the three column families. Reads through a
/// consistent iterator per column family; used where a region's size matters more than its versions.
/// </summary>
internal sealed class TxnKeyStream : IDisposable
{
    private readonly RocksAdapter.Cursor[] _cursors;
    private readonly bool[] _versioned;

    public TxnKeyStream(RocksAdapter db, ReadOnlySpan<byte> start, ReadOnlySpan<byte> end)
    {
        var (lower, upper) = TxnKeys.Range(start, end);
        _cursors = Array.ConvertAll(TxnKeys.Columns, column => db.Iterate(column, lower, upper));
        _versioned = Array.ConvertAll(TxnKeys.Columns, TxnKeys.IsVersioned);
    }

    /// <summary>The current user key; valid after <see cref="MoveNext"/> returned true.</summary>
    public byte[] UserKey { get; private set; } = [];

    /// <summary>Keys and values stored for <see cref="UserKey"/>, in bytes.</summary>
    public int Bytes { get; private set; }

    public bool MoveNext()
    {
        byte[]? smallest = null;
        for (var i = 0; i < _cursors.Length; i++)
        {
            if (_cursors[i].Valid && (smallest is null || TxnKey(i).SequenceCompareTo(smallest) < 0))
            {
                smallest = TxnKey(i).ToArray();
            }
        }
        if (smallest is null)
        {
            return false;
        }
        var bytes = 0;
        for (var i = 0; i < _cursors.Length; i++)
        {
            for (var cursor = _cursors[i]; cursor.Valid && TxnKey(i).SequenceEqual(smallest); cursor.Next())
            {
                bytes += cursor.Key.Length + cursor.Value.Length;
            }
        }
        UserKey = TxnKeys.UserKey(smallest);
        Bytes = bytes;
        return true;
    }

    public void Dispose()
    {
        foreach (var cursor in _cursors)
        {
            cursor.Dispose();
        }
    }

    private ReadOnlySpan<byte> TxnKey(int cursor) =>
        _versioned[cursor] ? TxnKeys.TxnKeyOf(_cursors[cursor].Key) : _cursors[cursor].Key;
}
