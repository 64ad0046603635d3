using System.Buffers.Binary;
using System.IO.Hashing;
using MultiRaft.Raft;

namespace MultiRaft.Storage.RaftLog;

internal enum RecordKind : byte
{
    /// <summary>Entries of one region, consecutive from a first index; they replace any suffix from there.</summary>
    Entries = 1,
    HardState = 2,
    /// <summary>The region's log is reset: no entries, starting after (offset, term); with the metadata of its
    /// last snapshot. Written when a snapshot is installed and when purge rewrites a region.</summary>
    Base = 3,
    /// <summary>Entries up to an index (with its term) are discarded.</summary>
    Compact = 4,
    /// <summary>The region is gone from this store.</summary>
    Tombstone = 5,
    /// <summary>Entries and hard states of many regions, as parts of one record (see <see cref="LogRecord"/>).</summary>
    Group = 6,
}

/// <summary>
/// One record of the shared log, in one FasterLog entry:
/// <c>[crc32 of everything after it: 4][kind: 1][region: 8][body]</c>. The checksum is ours rather than
/// FasterLog's so that recovery can tell a damaged record from a good one and cut the log there.
/// Entries body: <c>[first index: 8][count: 4]</c> then per entry <c>[term: 8][type: 1][length: 4][data]</c>.
/// HardState body: <c>[term: 8][vote: 8][commit: 8]</c>.
/// Group (region 0) body: <c>[parts: 4]</c> then per part <c>[kind: 1][region: 8][body length: 4][body]</c>,
/// each part an Entries or HardState body of its region: a write batch of many regions is a few records, not
/// one per region. Entry offsets count from the start of the record, whatever part holds them.
/// </summary>
internal static class LogRecord
{
    public const int HeaderBytes = 4 + 1 + 8;
    public const int EntriesPrefixBytes = 8 + 4;
    public const int EntryHeaderBytes = 8 + 1 + 4;
    public const int HardStateBytes = 24;
    public const int PartHeaderBytes = 1 + 8 + 4;

    /// <summary>Where a group record's first part starts.</summary>
    public const int GroupPartsStart = HeaderBytes + 4;

    public static int EntrySize(in Entry entry) => EntryHeaderBytes + entry.Data.Length;

    /// <summary>Writes an Entries part for <paramref name="entries"/> at <paramref name="at"/> in a group record;
    /// returns where it ends. Each entry's offset in the record goes to <paramref name="offsets"/>.</summary>
    public static int WriteEntriesPart(Span<byte> record, int at, ulong region, ReadOnlySpan<Entry> entries, Span<int> offsets)
    {
        var body = at + PartHeaderBytes;
        BinaryPrimitives.WriteUInt64LittleEndian(record[body..], entries[0].Index);
        BinaryPrimitives.WriteInt32LittleEndian(record[(body + 8)..], entries.Length);
        var offset = body + EntriesPrefixBytes;
        for (var i = 0; i < entries.Length; i++)
        {
            ref readonly var entry = ref entries[i];
            offsets[i] = offset;
            BinaryPrimitives.WriteUInt64LittleEndian(record[offset..], entry.Term);
            record[offset + 8] = (byte)entry.Type;
            BinaryPrimitives.WriteInt32LittleEndian(record[(offset + 9)..], entry.Data.Length);
            entry.Data.Span.CopyTo(record[(offset + EntryHeaderBytes)..]);
            offset += EntrySize(entry);
        }
        WritePartHeader(record, at, RecordKind.Entries, region, offset - body);
        return offset;
    }

    /// <summary>Writes a HardState part at <paramref name="at"/> in a group record; returns where it ends.</summary>
    public static int WriteHardStatePart(Span<byte> record, int at, ulong region, HardState state)
    {
        var body = at + PartHeaderBytes;
        BinaryPrimitives.WriteUInt64LittleEndian(record[body..], state.Term);
        BinaryPrimitives.WriteUInt64LittleEndian(record[(body + 8)..], state.Vote);
        BinaryPrimitives.WriteUInt64LittleEndian(record[(body + 16)..], state.Commit);
        WritePartHeader(record, at, RecordKind.HardState, region, HardStateBytes);
        return body + HardStateBytes;
    }

    /// <summary>Finishes a group record of <paramref name="parts"/> parts written up to <paramref name="length"/>.</summary>
    public static int SealGroup(Span<byte> record, int length, int parts)
    {
        WriteHeader(record, RecordKind.Group, 0);
        BinaryPrimitives.WriteInt32LittleEndian(record[HeaderBytes..], parts);
        return Seal(record, length);
    }

    /// <summary>The number of parts of a checked group record.</summary>
    public static int GroupParts(ReadOnlySpan<byte> record) =>
        record.Length >= GroupPartsStart ? BinaryPrimitives.ReadInt32LittleEndian(record[HeaderBytes..]) : throw new StorageException("a group record without its part count");

    /// <summary>Reads the part at <paramref name="at"/> of a checked group record and moves past it.</summary>
    public static (RecordKind Kind, ulong Region, int BodyStart, int BodyEnd) ReadPart(ReadOnlySpan<byte> record, ref int at)
    {
        if (at + PartHeaderBytes > record.Length)
        {
            throw new StorageException($"a group part at {at} overruns its record");
        }
        var kind = (RecordKind)record[at];
        var region = BinaryPrimitives.ReadUInt64LittleEndian(record[(at + 1)..]);
        var length = BinaryPrimitives.ReadInt32LittleEndian(record[(at + 9)..]);
        var body = at + PartHeaderBytes;
        if (kind is not (RecordKind.Entries or RecordKind.HardState) || length < 0 || body + length > record.Length)
        {
            throw new StorageException($"a group part at {at} is malformed");
        }
        at = body + length;
        return (kind, region, body, at);
    }

    private static void WritePartHeader(Span<byte> record, int at, RecordKind kind, ulong region, int bodyLength)
    {
        record[at] = (byte)kind;
        BinaryPrimitives.WriteUInt64LittleEndian(record[(at + 1)..], region);
        BinaryPrimitives.WriteInt32LittleEndian(record[(at + 9)..], bodyLength);
    }

    public static int BaseSize(SnapshotMetadata meta) => HeaderBytes + 32 + ConfStateCodec.Size(meta.ConfState);

    public static int WriteBase(Span<byte> into, ulong region, ulong logOffset, ulong offsetTerm, SnapshotMetadata meta)
    {
        var offset = WriteHeader(into, RecordKind.Base, region);
        BinaryPrimitives.WriteUInt64LittleEndian(into[offset..], logOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(into[(offset + 8)..], offsetTerm);
        BinaryPrimitives.WriteUInt64LittleEndian(into[(offset + 16)..], meta.Index);
        BinaryPrimitives.WriteUInt64LittleEndian(into[(offset + 24)..], meta.Term);
        offset += 32;
        offset += ConfStateCodec.Write(meta.ConfState, into[offset..]);
        return Seal(into, offset);
    }

    public static int WriteCompact(Span<byte> into, ulong region, ulong compactTo, ulong term)
    {
        var offset = WriteHeader(into, RecordKind.Compact, region);
        BinaryPrimitives.WriteUInt64LittleEndian(into[offset..], compactTo);
        BinaryPrimitives.WriteUInt64LittleEndian(into[(offset + 8)..], term);
        return Seal(into, offset + 16);
    }

    public static int WriteTombstone(Span<byte> into, ulong region) => Seal(into, WriteHeader(into, RecordKind.Tombstone, region));

    /// <summary>Checks the checksum and reads the header; false for a damaged or unknown record.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> record, out RecordKind kind, out ulong region)
    {
        kind = default;
        region = 0;
        if (record.Length < HeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(record) != Crc32.HashToUInt32(record[4..]))
        {
            return false;
        }
        kind = (RecordKind)record[4];
        region = BinaryPrimitives.ReadUInt64LittleEndian(record[5..]);
        return kind is >= RecordKind.Entries and <= RecordKind.Group;
    }

    public static ReadOnlySpan<byte> Body(ReadOnlySpan<byte> record) => record[HeaderBytes..];

    public static HardState ReadHardState(ReadOnlySpan<byte> body) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(body),
        BinaryPrimitives.ReadUInt64LittleEndian(body[8..]),
        BinaryPrimitives.ReadUInt64LittleEndian(body[16..]));

    public static (ulong Offset, ulong OffsetTerm, SnapshotMetadata Snapshot) ReadBase(ReadOnlySpan<byte> body) => (
        BinaryPrimitives.ReadUInt64LittleEndian(body),
        BinaryPrimitives.ReadUInt64LittleEndian(body[8..]),
        new SnapshotMetadata(
            BinaryPrimitives.ReadUInt64LittleEndian(body[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(body[24..]),
            ConfStateCodec.Read(body[32..], out _)));

    public static (ulong CompactTo, ulong Term) ReadCompact(ReadOnlySpan<byte> body) =>
        (BinaryPrimitives.ReadUInt64LittleEndian(body), BinaryPrimitives.ReadUInt64LittleEndian(body[8..]));

    public static (ulong FirstIndex, int Count) ReadEntriesPrefix(ReadOnlySpan<byte> body) =>
        (BinaryPrimitives.ReadUInt64LittleEndian(body), BinaryPrimitives.ReadInt32LittleEndian(body[8..]));

    /// <summary>Reads the header of the entry at <paramref name="offset"/> in the record, checking that its
    /// data lies inside the record.</summary>
    public static (ulong Term, EntryType Type, int DataLength) ReadEntryHeader(ReadOnlySpan<byte> record, int offset, ulong index)
    {
        if (offset < 0 || offset + EntryHeaderBytes > record.Length)
        {
            throw new StorageException($"entry {index} lies outside its record");
        }
        var length = BinaryPrimitives.ReadInt32LittleEndian(record[(offset + 9)..]);
        if (length < 0 || offset + EntryHeaderBytes + length > record.Length)
        {
            throw new StorageException($"entry {index} overruns its record");
        }
        return (BinaryPrimitives.ReadUInt64LittleEndian(record[offset..]), (EntryType)record[offset + 8], length);
    }

    /// <summary>Reads the entry at <paramref name="offset"/>; its data is a slice of <paramref name="record"/>.</summary>
    public static Entry ReadEntry(byte[] record, int offset, ulong index)
    {
        var (term, type, length) = ReadEntryHeader(record, offset, index);
        return new Entry(term, index, type, new ReadOnlyMemory<byte>(record, offset + EntryHeaderBytes, length));
    }

    private static int WriteHeader(Span<byte> into, RecordKind kind, ulong region)
    {
        into[4] = (byte)kind;
        BinaryPrimitives.WriteUInt64LittleEndian(into[5..], region);
        return HeaderBytes;
    }

    private static int Seal(Span<byte> into, int length)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(into, Crc32.HashToUInt32(into[4..length]));
        return length;
    }
}
