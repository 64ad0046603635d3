using FASTER.core;
using Microsoft.Win32.SafeHandles;

namespace MultiRaft.Storage.RaftLog;

/// <summary>
/// The device of one FasterLog commit metadata file: reads and writes run on the caller's thread and complete
/// before they return. FASTER writes these files from its commit worker, a thread-pool thread that blocks until
/// the write's callback. With FASTER's managed device that write is itself queued to the pool, so the commit
/// waited for a free pool thread; with every pool thread busy or blocked the same way (three stores in one
/// process on two cores) it waited for the pool to grow, half a second or more, and with a capped pool for ever.
/// Same files as FASTER's local device would write: unbuffered, each write durable when it returns.
/// </summary>
internal sealed unsafe class CommitFileDevice : StorageDeviceBase
{
    // FILE_FLAG_NO_BUFFERING, which .NET opens as O_DIRECT on Linux; FASTER aligns buffers and lengths for it.
    private const FileOptions Unbuffered = (FileOptions)0x20000000;
    private const uint SectorBytes = 512;

    private readonly Lock _gate = new();
    private readonly Dictionary<int, SafeFileHandle> _segments = [];

    public CommitFileDevice(string filename)
        : base(filename, SectorBytes, Devices.CAPACITY_UNSPECIFIED) =>
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(filename))!);

    public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite, DeviceIOCompletionCallback callback, object context)
    {
        HandleCapacity(segmentId);
        try
        {
            RandomAccess.Write(Segment(segmentId), new ReadOnlySpan<byte>((void*)sourceAddress, checked((int)numBytesToWrite)), checked((long)destinationAddress));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OverflowException)
        {
            callback(uint.MaxValue, 0, context);
            return;
        }
        callback(0, numBytesToWrite, context);
    }

    public override void ReadAsync(int segmentId, ulong sourceAddress, IntPtr destinationAddress, uint readLength, DeviceIOCompletionCallback callback, object context)
    {
        int read;
        try
        {
            read = RandomAccess.Read(Segment(segmentId), new Span<byte>((void*)destinationAddress, checked((int)readLength)), checked((long)sourceAddress));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OverflowException)
        {
            callback(uint.MaxValue, 0, context);
            return;
        }
        callback(0, (uint)read, context);
    }

    private SafeFileHandle Segment(int segmentId)
    {
        lock (_gate)
        {
            if (!_segments.TryGetValue(segmentId, out var handle))
            {
                handle = File.OpenHandle(GetSegmentFilename(FileName, segmentId), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite,
                    FileOptions.WriteThrough | Unbuffered);
                _segments[segmentId] = handle;
            }
            return handle;
        }
    }

    public override void RemoveSegmentAsync(int segment, AsyncCallback callback, IAsyncResult result)
    {
        lock (_gate)
        {
            if (_segments.Remove(segment, out var handle))
            {
                handle.Dispose();
            }
        }
        File.Delete(GetSegmentFilename(FileName, segment));
        callback(result);
    }

    public override long GetFileSize(int segment) => segmentSize > 0 ? segmentSize : RandomAccess.GetLength(Segment(segment));

    public override void Reset() => Dispose();

    public override void Dispose()
    {
        lock (_gate)
        {
            foreach (var handle in _segments.Values)
            {
                handle.Dispose();
            }
            _segments.Clear();
        }
    }
}
