using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using MultiRaft.Storage.Txn;

namespace MultiRaft.Storage.Kv;

/// <summary>
/// Exports one region as a <see cref="RegionSnapshotFormat"/> stream. Everything is read through one RocksDB
/// snapshot, so the data of every key space and the apply state describe the same instant even while writes
/// continue.
/// </summary>
internal sealed class RegionSnapshotWriter
{
    private readonly Stream _destination;
    private readonly Crc64 _streamCrc = new();
    private readonly byte[] _frame = new byte[RegionSnapshotFormat.FrameHeaderBytes];
    private byte[] _payload;
    private int _filled;
    private int _chunks;
    private KvColumn _column;

    private RegionSnapshotWriter(Stream destination, int chunkBytes)
    {
        _destination = destination;
        _payload = new byte[chunkBytes];
    }

    public static RegionSnapshotSummary Export(RocksAdapter db, ulong regionId, GcSafePointCache gcSafePoint, Stream destination, int chunkBytes)
    {
        using var view = db.TakeSnapshot();
        // Read after the snapshot was taken: the cache is raised before versions are collected, so this is at
        // least the safe point the snapshot's versions were collected up to.
        var safePoint = gcSafePoint.Current;
        var region = MetaReader.RegionState(db, regionId, view)
            ?? throw new InvalidOperationException($"region {regionId} has no local state on this store");
        if (region.Tombstone)
        {
            throw new InvalidOperationException($"region {regionId} is a tombstone on this store");
        }
        var apply = MetaReader.ApplyState(db, regionId, view)
            ?? throw new InvalidOperationException($"region {regionId} has no apply state on this store");

        var writer = new RegionSnapshotWriter(destination, chunkBytes);
        writer.WriteRaw(RegionSnapshotFormat.Magic);
        writer.WriteRaw([RegionSnapshotFormat.Version]);
        writer.WriteHeader(region, apply, safePoint);

        long keys = 0;
        long dataBytes = 0;
        foreach (var (column, start, end) in KvKeys.RegionRanges(region.StartKey, region.EndKey))
        {
            using var cursor = db.Iterate(column, start, end, view);
            for (; cursor.Valid; cursor.Next())
            {
                var key = cursor.Key;
                var value = cursor.Value;
                writer.AddEntry(column, key, value, chunkBytes);
                keys++;
                dataBytes += key.Length + value.Length;
            }
        }
        writer.FlushData();
        writer.WriteEnd(keys, dataBytes);
        return new RegionSnapshotSummary(region, apply, keys, dataBytes, writer._chunks);
    }

    private void WriteHeader(RegionLocalState region, ApplyState apply, ulong gcSafePoint)
    {
        var payload = new ArrayBufferWriter<byte>();
        ByteWriter.WriteLengthPrefixed(payload, MetaCodec.Encode(region));
        ByteWriter.WriteLengthPrefixed(payload, MetaCodec.Encode(apply));
        ByteWriter.WriteVarUInt64(payload, gcSafePoint);
        WriteChunk(ChunkKind.Header, payload.WrittenSpan);
    }

    // A chunk holds one column family's entries: a new column, like a full chunk, starts a new one.
    private void AddEntry(KvColumn column, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, int chunkBytes)
    {
        var size = RegionSnapshotFormat.EntryBytes(key.Length, value.Length);
        if (_filled > 0 && (_filled + size > chunkBytes || column != _column))
        {
            FlushData();
        }
        if (_filled == 0)
        {
            if (1 + size > _payload.Length)
            {
                _payload = new byte[1 + size];
            }
            _payload[0] = (byte)column;
            _filled = 1;
            _column = column;
        }
        var span = _payload.AsSpan(_filled);
        var n = ByteWriter.WriteVarUInt64(span, (ulong)key.Length);
        key.CopyTo(span[n..]);
        n += key.Length;
        n += ByteWriter.WriteVarUInt64(span[n..], (ulong)value.Length);
        value.CopyTo(span[n..]);
        _filled += n + value.Length;
    }

    private void FlushData()
    {
        if (_filled > 0)
        {
            WriteChunk(ChunkKind.Data, _payload.AsSpan(0, _filled));
            _filled = 0;
        }
    }

    private void WriteEnd(long keys, long dataBytes)
    {
        Span<byte> payload = stackalloc byte[RegionSnapshotFormat.EndPayloadBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(payload, (ulong)keys);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[8..], (ulong)dataBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[16..], _streamCrc.GetCurrentHashAsUInt64());
        WriteChunk(ChunkKind.End, payload);
        _destination.Flush();
    }

    private void WriteChunk(ChunkKind kind, ReadOnlySpan<byte> payload)
    {
        RegionSnapshotFormat.WriteFrameHeader(_frame, kind, payload.Length);
        Span<byte> crc = stackalloc byte[RegionSnapshotFormat.FrameTrailerBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(crc, RegionSnapshotFormat.ChunkCrc(_frame, payload));
        WriteRaw(_frame);
        WriteRaw(payload);
        WriteRaw(crc);
        _chunks++;
    }

    private void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        _streamCrc.Append(bytes);
        _destination.Write(bytes);
    }
}
