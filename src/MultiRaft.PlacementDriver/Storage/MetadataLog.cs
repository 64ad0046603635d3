using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using MultiRaft.Protocol;
using MultiRaft.Transport.Framing;

namespace MultiRaft.PlacementDriver.Storage;

/// <summary>
/// The metadata file: an append-only log of <see cref="MetaRecord"/>s, each framed as
/// <c>[payload length 4][CRC-32C 4][MessagePack payload]</c>, in files named <c>meta-GENERATION.log</c>.
/// <para>Crash safety. <see cref="Append"/> returns only after fsync, so an acknowledged record is on disk. A
/// crash mid-append leaves at most a torn suffix: on open, reading stops at the first record whose length or
/// checksum is wrong and the file is cut there, so the state is always a prefix of what was appended, and
/// never loses what a completed append made durable. <see cref="Rewrite"/> (compaction) writes the next
/// generation to a temporary file, fsyncs it, renames it into place and fsyncs the directory before the old
/// generation is deleted: a crash at any point leaves one complete generation, the newest one that exists
/// under its final name.</para>
/// </summary>
internal sealed class MetadataLog : IDisposable
{
    private const int HeaderBytes = 8;
    private const int MaxRecordBytes = 64 * 1024 * 1024;
    private const string Prefix = "meta-";
    private const string Suffix = ".log";
    private const string TempSuffix = ".tmp";
    private const string LockName = "LOCK";

    private readonly string _directory;
    private readonly ArrayBufferWriter<byte> _buffer = new();
    private readonly FileStream _lock;
    private FileStream _file;
    private long _generation;

    private MetadataLog(string directory, FileStream directoryLock, long generation, FileStream file)
    {
        _directory = directory;
        _lock = directoryLock;
        _generation = generation;
        _file = file;
    }

    /// <summary>Bytes in the current generation.</summary>
    public long Length => _file.Length;

    /// <summary>Bytes cut from a torn or damaged tail when the log was opened (0 after a clean stop).</summary>
    public long DiscardedBytes { get; private set; }

    /// <summary>Opens (or creates) the log in <paramref name="directory"/> and returns every intact record.</summary>
    public static MetadataLog Open(string directory, out List<MetaRecord> records)
    {
        Directory.CreateDirectory(directory);
        var directoryLock = LockDirectory(directory);
        List<long> generations;
        long generation;
        FileStream file;
        try
        {
            foreach (var temp in Directory.GetFiles(directory, Prefix + "*" + TempSuffix))
            {
                File.Delete(temp); // A compaction that crashed before its rename: the old generation is still whole.
            }
            generations = FindGenerations(directory);
            generation = generations.Count == 0 ? 1 : generations[^1];
            file = new FileStream(PathOf(directory, generation), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.None);
        }
        catch
        {
            directoryLock.Dispose();
            throw;
        }
        var log = new MetadataLog(directory, directoryLock, generation, file);
        try
        {
            var good = ReadRecords(file, out records);
            log.DiscardedBytes = file.Length - good;
            if (log.DiscardedBytes > 0)
            {
                file.SetLength(good);
                file.Flush(flushToDisk: true);
            }
            file.Position = good;
            if (generations.Count == 0)
            {
                DirectorySync.Sync(directory); // The new file's name must survive too.
            }
            foreach (var old in generations)
            {
                if (old != generation)
                {
                    File.Delete(PathOf(directory, old));
                }
            }
            return log;
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>Appends the records and fsyncs them: when this returns, they survive a crash.</summary>
    public void Append(IEnumerable<MetaRecord> records)
    {
        _buffer.ResetWrittenCount();
        foreach (var record in records)
        {
            Frame(_buffer, record);
        }
        if (_buffer.WrittenCount == 0)
        {
            return;
        }
        _file.Write(_buffer.WrittenSpan);
        _file.Flush(flushToDisk: true);
    }

    /// <summary>Replaces the whole log by <paramref name="records"/> (a new generation), crash-safely.</summary>
    public void Rewrite(IEnumerable<MetaRecord> records)
    {
        var next = _generation + 1;
        var temp = PathOf(_directory, next) + TempSuffix;
        using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            var chunk = new ArrayBufferWriter<byte>(1 << 16);
            foreach (var record in records)
            {
                Frame(chunk, record);
                if (chunk.WrittenCount >= 1 << 20)
                {
                    output.Write(chunk.WrittenSpan);
                    chunk.ResetWrittenCount();
                }
            }
            output.Write(chunk.WrittenSpan);
            output.Flush(flushToDisk: true);
        }
        File.Move(temp, PathOf(_directory, next));
        DirectorySync.Sync(_directory);
        // From here the new generation is the log; the old one is only garbage.
        var old = PathOf(_directory, _generation);
        _file.Dispose();
        _file = new FileStream(PathOf(_directory, next), FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.None);
        _file.Position = _file.Length;
        _generation = next;
        File.Delete(old);
    }

    public void Dispose()
    {
        _file.Dispose();
        _lock.Dispose();
    }

    /// <summary>Two PDs appending to one log would interleave records: the second one is refused. FileShare.None
    /// takes an exclusive lock on the file (flock on Unix), released when the process ends, even by a crash.</summary>
    private static FileStream LockDirectory(string directory)
    {
        try
        {
            return new FileStream(Path.Combine(directory, LockName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"the metadata directory {directory} is in use by another process: {e.Message}", e);
        }
    }

    private static void Frame(ArrayBufferWriter<byte> output, MetaRecord record)
    {
        var payload = ProtocolSerializer.Serialize(record);
        var header = output.GetSpan(HeaderBytes);
        BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], Crc32C.Compute(payload));
        output.Advance(HeaderBytes);
        output.Write(payload);
    }

    /// <summary>Reads records from the start; returns the length of the intact prefix.</summary>
    private static long ReadRecords(FileStream file, out List<MetaRecord> records)
    {
        records = [];
        var content = new byte[file.Length];
        file.Position = 0;
        file.ReadExactly(content);
        var offset = 0;
        while (content.Length - offset >= HeaderBytes)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(content.AsSpan(offset));
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(content.AsSpan(offset + 4));
            if (length <= 0 || length > MaxRecordBytes || length > content.Length - offset - HeaderBytes)
            {
                break;
            }
            var payload = content.AsMemory(offset + HeaderBytes, length);
            if (Crc32C.Compute(payload.Span) != crc)
            {
                break;
            }
            try
            {
                records.Add(ProtocolSerializer.Deserialize<MetaRecord>(new ReadOnlySequence<byte>(payload)));
            }
            catch (MessagePack.MessagePackSerializationException)
            {
                break; // A checksum-valid record we cannot read: treat as the end, like any damage.
            }
            offset += HeaderBytes + length;
        }
        return offset;
    }

    private static List<long> FindGenerations(string directory)
    {
        var generations = new List<long>();
        foreach (var path in Directory.GetFiles(directory, Prefix + "*" + Suffix))
        {
            var name = Path.GetFileName(path);
            var number = name[Prefix.Length..^Suffix.Length];
            if (long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var generation))
            {
                generations.Add(generation);
            }
        }
        generations.Sort();
        return generations;
    }

    private static string PathOf(string directory, long generation) =>
        Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"{Prefix}{generation:D10}{Suffix}"));
}
