using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using MultiRaft.Storage.Txn;

namespace MultiRaft.Storage.Kv;

/// <summary>
/// Imports a <see cref="RegionSnapshotFormat"/> stream. The whole stream is verified while it is staged in one
/// RocksDB write batch — clear the region's range in every key space, put every entry, put the region and apply
/// state, raise the GC safe point — and the batch is written only after the end chunk checks out. A corrupt,
/// truncated or malformed stream therefore changes nothing, and a crash leaves either the old region or the whole
/// new one, never a mix.
/// Staging in a write batch costs memory about the size of the region's data; regions are split long before
/// that matters (96 MiB by default). Ingesting SST files can replace it if regions grow much larger.
/// </summary>
internal sealed class RegionSnapshotReader : IDisposable
{
    private readonly Stream _source;
    private readonly KvEngineOptions _options;
    private readonly Crc64 _streamCrc = new();
    private readonly byte[] _frame = new byte[RegionSnapshotFormat.FrameHeaderBytes];
    private readonly byte[] _trailer = new byte[RegionSnapshotFormat.FrameTrailerBytes];
    private byte[] _payload = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _chunks;

    private RegionSnapshotReader(Stream source, KvEngineOptions options)
    {
        _source = source;
        _options = options;
    }

    public static RegionSnapshotSummary Import(KvEngine engine, Stream source, bool sync)
    {
        using var reader = new RegionSnapshotReader(source, engine.Options);
        using var batch = engine.NewWriteBatch();
        var summary = reader.Stage(batch, engine.GcSafePoint);
        engine.Write(batch, sync);
        return summary;
    }

    /// <summary>The region (range, epoch, peers) a snapshot stream holds, from its checked header alone.</summary>
    public static RegionLocalState ReadRegion(Stream source, KvEngineOptions options)
    {
        using var reader = new RegionSnapshotReader(source, options);
        reader.ReadPreamble();
        return reader.ReadHeader().Region;
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(_payload);

    private void ReadPreamble()
    {
        Span<byte> preamble = stackalloc byte[RegionSnapshotFormat.Magic.Length + 1];
        ReadExactly(preamble, "the preamble");
        if (!preamble[..^1].SequenceEqual(RegionSnapshotFormat.Magic))
        {
            throw Invalid("the stream does not start with the region snapshot magic");
        }
        if (preamble[^1] != RegionSnapshotFormat.Version)
        {
            throw Invalid($"unknown format version {preamble[^1]}");
        }
    }

    private RegionSnapshotSummary Stage(KvWriteBatch target, ulong gcSafePoint)
    {
        var batch = target.Native;
        ReadPreamble();
        var (region, apply, senderSafePoint) = ReadHeader();
        if (senderSafePoint > gcSafePoint)
        {
            target.SetGcSafePoint(senderSafePoint);
        }
        // The range is cleared first: operations in a batch apply in order, so the puts below survive it.
        var ranges = KvKeys.RegionRanges(region.StartKey, region.EndKey);
        foreach (var (column, start, end) in ranges)
        {
            batch.DeleteRange(column, start, end);
        }

        long keys = 0;
        long dataBytes = 0;
        var maxKey = RegionSnapshotFormat.MaxKeyBytes(_options);
        var previousColumn = KvColumn.Data;
        byte[]? previousKey = null;
        while (true)
        {
            var streamCrcBefore = _streamCrc.GetCurrentHashAsUInt64();
            var kind = ReadChunk(out var payload);
            if (kind == ChunkKind.End)
            {
                VerifyEnd(payload, keys, dataBytes, streamCrcBefore);
                break;
            }
            if (kind != ChunkKind.Data)
            {
                throw Invalid($"chunk {_chunks} is a {kind} chunk where data or the end was expected");
            }
            var entries = new ByteReader(payload, $"region snapshot data chunk {_chunks}");
            var column = (KvColumn)entries.ReadByte("column family");
            if (column is not (KvColumn.Data or KvColumn.Lock or KvColumn.Write) || column < previousColumn)
            {
                throw Invalid($"chunk {_chunks} holds column family {(byte)column} after {previousColumn}");
            }
            if (column != previousColumn)
            {
                previousColumn = column;
                previousKey = null;
            }
            var maxValue = RegionSnapshotFormat.MaxValueBytes(column, _options);
            do
            {
                var key = entries.ReadLengthPrefixed("key", maxKey);
                var value = entries.ReadLengthPrefixed("value", maxValue);
                CheckInRegion(column, key, ranges, region.RegionId);
                if (previousKey is not null && key.SequenceCompareTo(previousKey) <= 0)
                {
                    throw Invalid($"chunk {_chunks} holds keys out of order");
                }
                batch.Put(column, key, value);
                previousKey = key.ToArray();
                keys++;
                dataBytes += key.Length + value.Length;
            }
            while (entries.Remaining > 0);
        }

        batch.Put(KvColumn.Meta, KvKeys.RegionStateKey(region.RegionId), MetaCodec.Encode(region));
        batch.Put(KvColumn.Meta, KvKeys.ApplyStateKey(region.RegionId), MetaCodec.Encode(apply));
        return new RegionSnapshotSummary(region, apply, keys, dataBytes, _chunks);
    }

    /// <summary>
    /// Refuses a stored key outside the region's ranges of <paramref name="column"/>, malformed, for an empty user
    /// key or for one over this store's key limit.
    /// </summary>
    private void CheckInRegion(KvColumn column, ReadOnlySpan<byte> key, List<(KvColumn Column, byte[] Start, byte[] End)> ranges, ulong regionId)
    {
        var inRange = false;
        foreach (var range in ranges)
        {
            inRange |= range.Column == column && key.SequenceCompareTo(range.Start) >= 0 && key.SequenceCompareTo(range.End) < 0;
        }
        if (!inRange)
        {
            throw Invalid($"chunk {_chunks} holds a key outside region {regionId}'s range");
        }
        int userKeyLength;
        try
        {
            userKeyLength = key[0] == KvKeys.RawPrefix
                ? KvKeys.UserKey(key).Length
                : TxnKeys.UserKey(TxnKeys.IsVersioned(column) ? TxnKeys.TxnKeyOf(key) : key).Length;
        }
        catch (StorageException e)
        {
            throw Invalid($"chunk {_chunks} holds a malformed key: {e.Message}");
        }
        if (userKeyLength == 0 || userKeyLength > _options.MaxKeyBytes)
        {
            throw Invalid($"chunk {_chunks} holds a key of {userKeyLength} bytes (from 1 to {_options.MaxKeyBytes} allowed)");
        }
    }

    private (RegionLocalState Region, ApplyState Apply, ulong GcSafePoint) ReadHeader()
    {
        var kind = ReadChunk(out var payload);
        if (kind != ChunkKind.Header)
        {
            throw Invalid($"the first chunk is a {kind} chunk, not the header");
        }
        var header = new ByteReader(payload, "region snapshot header");
        var region = MetaCodec.DecodeRegionState(header.ReadLengthPrefixed("region state", header.Remaining));
        var apply = MetaCodec.DecodeApplyState(header.ReadLengthPrefixed("apply state", header.Remaining));
        var gcSafePoint = header.ReadVarUInt64("GC safe point");
        header.ExpectEnd();
        if (region.Tombstone)
        {
            throw Invalid($"region {region.RegionId} is a tombstone");
        }
        if (region.StartKey.Length > _options.MaxKeyBytes || region.EndKey.Length > _options.MaxKeyBytes)
        {
            throw Invalid($"region {region.RegionId}'s range has a key over the limit of {_options.MaxKeyBytes} bytes");
        }
        return (region, apply, gcSafePoint);
    }

    private static void VerifyEnd(ReadOnlySpan<byte> payload, long keys, long dataBytes, ulong streamCrc)
    {
        if (payload.Length != RegionSnapshotFormat.EndPayloadBytes)
        {
            throw Invalid($"the end chunk has {payload.Length} bytes instead of {RegionSnapshotFormat.EndPayloadBytes}");
        }
        var expectedKeys = BinaryPrimitives.ReadUInt64LittleEndian(payload);
        var expectedBytes = BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]);
        var expectedCrc = BinaryPrimitives.ReadUInt64LittleEndian(payload[16..]);
        if (expectedKeys != (ulong)keys || expectedBytes != (ulong)dataBytes)
        {
            throw Invalid($"the end chunk announces {expectedKeys} keys and {expectedBytes} bytes, the stream held {keys} and {dataBytes}");
        }
        if (expectedCrc != streamCrc)
        {
            throw Invalid($"the stream checksum is 0x{streamCrc:x16}, the end chunk expects 0x{expectedCrc:x16}");
        }
    }

    /// <summary>Reads one frame and checks its CRC; the payload is valid until the next call.</summary>
    private ChunkKind ReadChunk(out ReadOnlySpan<byte> payload)
    {
        var index = _chunks + 1;
        ReadExactly(_frame, $"chunk {index}");
        var kind = (ChunkKind)_frame[0];
        if (!Enum.IsDefined(kind))
        {
            throw Invalid($"chunk {index} has unknown kind {_frame[0]}");
        }
        var length = BinaryPrimitives.ReadUInt32LittleEndian(_frame.AsSpan(1));
        var max = RegionSnapshotFormat.MaxPayloadBytes(_options);
        if (length > (uint)max)
        {
            throw Invalid($"chunk {index} announces {length} bytes, over the limit of {max}");
        }
        if (_payload.Length < length)
        {
            ArrayPool<byte>.Shared.Return(_payload);
            _payload = ArrayPool<byte>.Shared.Rent((int)length);
        }
        var buffer = _payload.AsSpan(0, (int)length);
        ReadExactly(buffer, $"chunk {index}");
        payload = buffer;
        ReadExactly(_trailer, $"chunk {index}");
        var expected = BinaryPrimitives.ReadUInt32LittleEndian(_trailer);
        var actual = RegionSnapshotFormat.ChunkCrc(_frame, payload);
        if (expected != actual)
        {
            throw Invalid($"chunk {index} is corrupt: CRC-32 0x{actual:x8}, expected 0x{expected:x8}");
        }
        _chunks = index;
        return kind;
    }

    private void ReadExactly(Span<byte> buffer, string what)
    {
        try
        {
            _source.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"region snapshot is truncated: the stream ended inside {what}", e);
        }
        _streamCrc.Append(buffer);
    }

    private static InvalidDataException Invalid(string problem) => new($"invalid region snapshot: {problem}");
}
