using System.Buffers;

namespace MultiRaft.Storage.Kv;

/// <summary>
/// The binary encoding of the meta column family's values, written by hand so that Storage needs no serializer
/// and the format stays under our control. Integers are unsigned LEB128 varints; byte strings are varint length
/// + bytes. Each value starts with a format version byte so the layout can evolve.
/// <code>
/// RegionLocalState v1: 0x01 | region id | start key | end key | conf version | version
///                      | peer count | (peer id | store id | role byte)* | flags byte (bit 0 = tombstone)
/// ApplyState v1:       0x01 | applied index | applied term
/// </code>
/// Decoding rejects anything else — unknown version, truncation, trailing bytes, bad role or flags, non-shortest
/// varints, an empty or inverted range, duplicate peers — with an <see cref="InvalidDataException"/>.
/// </summary>
internal static class MetaCodec
{
    private const byte Version1 = 1;
    private const byte TombstoneFlag = 0x01;
    private const int PeerMinBytes = 3;

    public static byte[] Encode(RegionLocalState state)
    {
        var writer = new ArrayBufferWriter<byte>(64);
        ByteWriter.WriteByte(writer, Version1);
        ByteWriter.WriteVarUInt64(writer, state.RegionId);
        ByteWriter.WriteLengthPrefixed(writer, state.StartKey);
        ByteWriter.WriteLengthPrefixed(writer, state.EndKey);
        ByteWriter.WriteVarUInt64(writer, state.Epoch.ConfVersion);
        ByteWriter.WriteVarUInt64(writer, state.Epoch.Version);
        ByteWriter.WriteVarUInt64(writer, (ulong)state.Peers.Count);
        foreach (var peer in state.Peers)
        {
            ByteWriter.WriteVarUInt64(writer, peer.Id);
            ByteWriter.WriteVarUInt64(writer, peer.StoreId);
            ByteWriter.WriteByte(writer, (byte)peer.Role);
        }
        ByteWriter.WriteByte(writer, state.Tombstone ? TombstoneFlag : (byte)0);
        return writer.WrittenSpan.ToArray();
    }

    public static RegionLocalState DecodeRegionState(ReadOnlySpan<byte> bytes)
    {
        var reader = new ByteReader(bytes, "region local state");
        ExpectVersion(ref reader);
        var regionId = reader.ReadVarUInt64("region id");
        var start = reader.ReadLengthPrefixed("start key", reader.Remaining).ToArray();
        var end = reader.ReadLengthPrefixed("end key", reader.Remaining).ToArray();
        if (end.Length > 0 && start.AsSpan().SequenceCompareTo(end) >= 0)
        {
            throw reader.Malformed("start key is not below end key");
        }
        var epoch = new RegionEpoch(reader.ReadVarUInt64("conf version"), reader.ReadVarUInt64("version"));
        var count = reader.ReadLength("peer count", reader.Remaining / PeerMinBytes);
        var peers = new RegionPeer[count];
        for (var i = 0; i < count; i++)
        {
            var id = reader.ReadVarUInt64("peer id");
            var storeId = reader.ReadVarUInt64("store id");
            var role = reader.ReadByte("peer role");
            if (role > (byte)PeerRole.Learner)
            {
                throw reader.Malformed($"peer {id} has unknown role {role}");
            }
            for (var j = 0; j < i; j++)
            {
                if (peers[j].Id == id)
                {
                    throw reader.Malformed($"peer {id} is listed twice");
                }
            }
            peers[i] = new RegionPeer(id, storeId, (PeerRole)role);
        }
        var flags = reader.ReadByte("flags");
        if ((flags & ~TombstoneFlag) != 0)
        {
            throw reader.Malformed($"unknown flags 0x{flags:x2}");
        }
        reader.ExpectEnd();
        return new RegionLocalState
        {
            RegionId = regionId,
            StartKey = start,
            EndKey = end,
            Epoch = epoch,
            Peers = peers,
            Tombstone = (flags & TombstoneFlag) != 0,
        };
    }

    public static byte[] Encode(ApplyState state)
    {
        Span<byte> buffer = stackalloc byte[1 + (2 * ByteWriter.MaxVarUInt64Bytes)];
        buffer[0] = Version1;
        var length = 1;
        length += ByteWriter.WriteVarUInt64(buffer[length..], state.AppliedIndex);
        length += ByteWriter.WriteVarUInt64(buffer[length..], state.AppliedTerm);
        return buffer[..length].ToArray();
    }

    public static ApplyState DecodeApplyState(ReadOnlySpan<byte> bytes)
    {
        var reader = new ByteReader(bytes, "apply state");
        ExpectVersion(ref reader);
        var state = new ApplyState(reader.ReadVarUInt64("applied index"), reader.ReadVarUInt64("applied term"));
        reader.ExpectEnd();
        return state;
    }

    private static void ExpectVersion(ref ByteReader reader)
    {
        var version = reader.ReadByte("format version");
        if (version != Version1)
        {
            throw reader.Malformed($"unknown format version {version}");
        }
    }
}
