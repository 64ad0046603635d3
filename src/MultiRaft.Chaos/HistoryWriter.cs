using System.Buffers;
using System.Diagnostics;

namespace MultiRaft.Chaos;

/// <summary>Appends events to a stream as JSON lines, one object per line, from any number of threads. Each
/// event is flushed to the stream as it is written (a crash of the runner loses at most the line being written).
/// Times are nanoseconds since the writer was created, from <see cref="Stopwatch"/>, strictly increasing in file
/// order, so the file order and the time order agree.</summary>
public sealed class HistoryWriter : IDisposable
{
    private readonly Lock gate = new();
    private readonly Stream stream;
    private readonly bool leaveOpen;
    private readonly long origin = Stopwatch.GetTimestamp();
    private readonly ArrayBufferWriter<byte> buffer = new(256);
    private long lastTime = -1;
    private bool disposed;

    public HistoryWriter(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        this.stream = stream;
        this.leaveOpen = leaveOpen;
    }

    /// <summary>Creates (or truncates) the file at <paramref name="path"/>.</summary>
    public static HistoryWriter Create(string path) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 4096));

    /// <summary>The number of events written so far.</summary>
    public long Count { get; private set; }

    /// <summary>Records an event stamped with the current time and returns it as written.</summary>
    public HistoryEvent Record(long process, EventType type, OpKind f, string key, string? value, string? expected = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Record(new HistoryEvent(process, type, f, key, value, 0) { Expected = f == OpKind.Cas ? expected : null });
    }

    /// <summary>Records <paramref name="e"/> stamped with the current time (its own <see cref="HistoryEvent.Time"/>
    /// is replaced) and returns it as written.</summary>
    public HistoryEvent Record(HistoryEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var time = (long)((Stopwatch.GetTimestamp() - origin) * (1_000_000_000.0 / Stopwatch.Frequency));
            time = Math.Max(time, lastTime + 1);
            lastTime = time;
            e = e with { Time = time };
            buffer.ResetWrittenCount();
            HistoryJson.Write(e, buffer);
            buffer.Write("\n"u8);
            stream.Write(buffer.WrittenSpan);
            stream.Flush();
            Count++;
            return e;
        }
    }

    public HistoryEvent Invoke(long process, OpKind f, string key, string? value, string? expected = null) =>
        Record(process, EventType.Invoke, f, key, value, expected);

    public HistoryEvent Ok(long process, OpKind f, string key, string? value, string? expected = null) =>
        Record(process, EventType.Ok, f, key, value, expected);

    public HistoryEvent Fail(long process, OpKind f, string key, string? value, string? expected = null) =>
        Record(process, EventType.Fail, f, key, value, expected);

    public HistoryEvent Info(long process, OpKind f, string key, string? value, string? expected = null) =>
        Record(process, EventType.Info, f, key, value, expected);

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
            {
                return;
            }
            disposed = true;
            stream.Flush();
            if (!leaveOpen)
            {
                stream.Dispose();
            }
        }
    }
}
