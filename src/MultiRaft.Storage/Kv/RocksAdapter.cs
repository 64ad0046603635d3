using RocksDbSharp;

namespace MultiRaft.Storage.Kv;

/// <summary>
/// The only place that touches RocksDbSharp. Its namespace has types named like ours, FASTER's and the Raft
/// core's (Snapshot, WriteBatch, RaftConfig, ...), so the rest of the engine speaks to RocksDB only through this
/// class and its nested handles, and native failures come out as <see cref="StorageException"/>.
/// Thread safety is RocksDB's: reads and writes may run concurrently; a <see cref="Batch"/> is single-threaded.
/// </summary>
internal sealed class RocksAdapter : IDisposable
{
    // Indexed by KvColumn.
    private static readonly string[] ColumnNames = ["data", "meta", "lock", "write"];

    /// <summary>WAL kept, in memtables' worth of writes.</summary>
    private const int MaxWalMemtables = 4;

    private readonly RocksDb _db;
    private readonly ColumnFamilyHandle[] _columns;
    private readonly WriteOptions _asyncWrite = new WriteOptions().SetSync(false);
    private readonly WriteOptions _syncWrite = new WriteOptions().SetSync(true);
    private readonly ReadOptions _defaultRead = new();
    private bool _disposed;

    private RocksAdapter(RocksDb db)
    {
        _db = db;
        _columns = Array.ConvertAll(ColumnNames, db.GetColumnFamily);
    }

    /// <summary>Opens or creates the database in <paramref name="directory"/>, creating missing column families,
    /// each with memtables of <paramref name="memtableBytes"/>.</summary>
    public static RocksAdapter Open(string directory, long memtableBytes)
    {
        Directory.CreateDirectory(directory);
        var dbOptions = new DbOptions()
            .SetCreateIfMissing(true)
            .SetCreateMissingColumnFamilies(true)
            .SetKeepLogFileNum(4)
            // A WAL file goes only once every column family with writes in it has flushed them. The meta family
            // takes a few bytes per apply (the apply state), so its memtable would pin every WAL file until
            // RocksDB's default bound, four times all memtables: measured 390 MB of WAL per store after 50 s of
            // `bench --local 3 --workload write`, all of it replayed on restart. Past this bound RocksDB flushes
            // the families that hold the oldest WAL file.
            .SetMaxTotalWalSize((ulong)(MaxWalMemtables * memtableBytes));
        var families = new ColumnFamilies();
        // Every family already in the directory must be opened (RocksDB refuses otherwise): a directory written by
        // a later version with families of its own still opens here. Ours are created where missing, so a
        // directory from before the lock and write families gains them on its first open.
        if (RocksDb.TryListColumnFamilies(dbOptions, directory, out var existing))
        {
            foreach (var name in existing)
            {
                if (name != ColumnFamilies.DefaultName && Array.IndexOf(ColumnNames, name) < 0)
                {
                    families.Add(name, new ColumnFamilyOptions());
                }
            }
        }
        foreach (var name in ColumnNames)
        {
            families.Add(name, new ColumnFamilyOptions().SetWriteBufferSize((ulong)memtableBytes));
        }
        try
        {
            return new RocksAdapter(RocksDb.Open(dbOptions, directory, families));
        }
        catch (Exception e) when (e is RocksDbException or RocksDbSharpException)
        {
            throw new StorageException($"cannot open the KV engine in {directory}: {e.Message}", e);
        }
    }

    public byte[]? Get(KvColumn column, ReadOnlySpan<byte> key, View? view = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            return _db.Get(key, Column(column), view?.Options ?? _defaultRead);
        }
        catch (RocksDbException e)
        {
            throw Failed("read", e);
        }
    }

    /// <summary>Applies every operation of <paramref name="batch"/> atomically; with sync the WAL is fsynced first.</summary>
    public void Write(Batch batch, bool sync)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (batch.Owner != this)
        {
            throw new ArgumentException("the batch belongs to another engine", nameof(batch));
        }
        try
        {
            _db.Write(batch.Native, sync ? _syncWrite : _asyncWrite);
        }
        catch (RocksDbException e)
        {
            throw Failed("write", e);
        }
    }

    public Batch NewBatch()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new Batch(this);
    }

    /// <summary>A consistent point-in-time view; dispose it before the engine.</summary>
    public View TakeSnapshot()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new View(_db.CreateSnapshot());
    }

    /// <summary>A forward cursor over [lower, upper) of one column family, positioned on its first key.</summary>
    public Cursor Iterate(KvColumn column, byte[] lower, byte[] upper, View? view = null)
    {
        var cursor = Unpositioned(column, lower, upper, view);
        cursor.Seek(lower);
        return cursor;
    }

    /// <summary>A forward cursor over [lower, upper) that is on no key until its first <see cref="Cursor.Seek"/>:
    /// for callers that always seek first, whom a seek to the start would cost a wasted skip-list search.</summary>
    public Cursor Unpositioned(KvColumn column, byte[] lower, byte[] upper, View? view = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var options = new ReadOptions().SetIterateLowerBound(lower).SetIterateUpperBound(upper).SetFillCache(view is null);
        if (view is not null)
        {
            options.SetSnapshot(view.Native);
        }
        return new Cursor(_db.NewIterator(Column(column), options), options);
    }

    /// <summary>RocksDB's estimate of the bytes [start, end) occupies on disk and in the memtables.</summary>
    public unsafe ulong ApproximateSize(KvColumn column, byte[] start, byte[] end)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ulong size = 0;
        fixed (byte* startBytes = start)
        fixed (byte* endBytes = end)
        {
            // The C API takes arrays of ranges: here arrays of one.
            var startKeys = stackalloc IntPtr[] { (IntPtr)startBytes };
            var startLengths = stackalloc UIntPtr[] { (UIntPtr)start.Length };
            var endKeys = stackalloc IntPtr[] { (IntPtr)endBytes };
            var endLengths = stackalloc UIntPtr[] { (UIntPtr)end.Length };
            const byte flags = (byte)(SizeApproximationFlags.IncludeFiles | SizeApproximationFlags.IncludeMemtable);
            try
            {
                Native.Instance.rocksdb_approximate_sizes_cf_with_flags(
                    _db.Handle, Column(column).Handle, 1, (IntPtr)startKeys, (IntPtr)startLengths,
                    (IntPtr)endKeys, (IntPtr)endLengths, flags, (IntPtr)(&size));
            }
            catch (RocksDbException e)
            {
                throw Failed("size estimate", e);
            }
        }
        return size;
    }

    /// <summary>RocksDB's estimate of the live keys in a whole column family ("rocksdb.estimate-num-keys").</summary>
    public ulong EstimatedKeys(KvColumn column)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var text = _db.GetProperty("rocksdb.estimate-num-keys", Column(column));
        return ulong.TryParse(text, out var keys) ? keys : 0;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _db.Dispose();
    }

    private ColumnFamilyHandle Column(KvColumn column) => _columns[(int)column];

    private static StorageException Failed(string operation, Exception e) => new($"RocksDB {operation} failed: {e.Message}", e);

    /// <summary>Operations staged for one atomic <see cref="Write"/>; nothing is visible before it.</summary>
    internal sealed class Batch : IDisposable
    {
        internal Batch(RocksAdapter owner)
        {
            Owner = owner;
        }

        internal RocksAdapter Owner { get; }

        internal WriteBatch Native { get; } = new();

        public int Count => Native.Count();

        public void Put(KvColumn column, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) =>
            Native.Put(key, value, Owner.Column(column));

        public void Delete(KvColumn column, ReadOnlySpan<byte> key) => Native.Delete(key, Owner.Column(column));

        public void DeleteRange(KvColumn column, byte[] start, byte[] end) =>
            Native.DeleteRange(start, (ulong)start.Length, end, (ulong)end.Length, Owner.Column(column));

        public void Clear() => Native.Clear();

        /// <summary>Marks the current end of the batch; save points nest.</summary>
        public void SetSavePoint() => Native.SetSavePoint();

        /// <summary>Drops everything staged since the latest save point, and that save point.</summary>
        public void RollbackToSavePoint() => Native.RollbackToSavePoint();

        /// <summary>Forgets the latest save point, keeping what was staged since.</summary>
        public void PopSavePoint() => Native.PopSavePoint();

        public void Dispose() => Native.Dispose();
    }

    /// <summary>A RocksDB snapshot and the read options that read through it.</summary>
    internal sealed class View : IDisposable
    {
        internal View(RocksDbSharp.Snapshot snapshot)
        {
            Native = snapshot;
            Options = new ReadOptions().SetSnapshot(snapshot).SetFillCache(false);
        }

        internal RocksDbSharp.Snapshot Native { get; }

        internal ReadOptions Options { get; }

        public void Dispose() => Native.Dispose();
    }

    /// <summary>A forward iterator; <see cref="Key"/> and <see cref="Value"/> are valid until the next move.</summary>
    internal sealed class Cursor : IDisposable
    {
        private readonly Iterator _iterator;

        // Holds the bounds' native copies alive for as long as the iterator reads them.
        private readonly ReadOptions _options;

        internal Cursor(Iterator iterator, ReadOptions options)
        {
            _iterator = iterator;
            _options = options;
        }

        /// <summary>Whether the cursor is on a key; at the end it also surfaces any I/O or corruption error.</summary>
        public bool Valid
        {
            get
            {
                if (_iterator.Valid())
                {
                    return true;
                }
                try
                {
                    RocksDbSharp.Native.Instance.rocksdb_iter_get_error(_iterator.Handle);
                }
                catch (RocksDbException e)
                {
                    throw Failed("iteration", e);
                }
                return false;
            }
        }

        public ReadOnlySpan<byte> Key => _iterator.GetKeySpan();

        public ReadOnlySpan<byte> Value => _iterator.GetValueSpan();

        public void Next() => _iterator.Next();

        /// <summary>Moves to the first key at or after <paramref name="target"/> (and within the bounds).</summary>
        public void Seek(ReadOnlySpan<byte> target) => _iterator.Seek(target);

        public void Dispose()
        {
            _iterator.Dispose();
            GC.KeepAlive(_options);
        }
    }
}
