using MessagePack;
using MultiRaft.Protocol;
using MultiRaft.Protocol.Metadata;

namespace MultiRaft.Store.Commands;

/// <summary>
/// The data of a normal Raft entry: the writes of one client request, stamped with the region epoch it was
/// proposed under. At apply time a command whose epoch version no longer matches the region (a split
/// happened in between) changes nothing, so a key never lands in a region that no longer owns it.
/// </summary>
[MessagePackObject]
public sealed record RaftCommand(
    [property: Key(0)] ulong RegionId,
    [property: Key(1)] EpochInfo Epoch,
    [property: Key(2)] WriteOp[] Writes)
{
    public byte[] Encode() => ProtocolSerializer.Serialize(this);

    public static RaftCommand Decode(ReadOnlyMemory<byte> data) =>
        ProtocolSerializer.Deserialize<RaftCommand>(new System.Buffers.ReadOnlySequence<byte>(data));
}

/// <summary>One write: Put (Key, Value), Delete (Key), DeleteRange ([Key, EndKey)), or CompareAndSwap (Key
/// to Value — null deletes — if the current value equals Expected — null: absent).</summary>
[MessagePackObject]
public sealed record WriteOp(
    [property: Key(0)] WriteKind Kind,
    [property: Key(1)] byte[] Key,
    [property: Key(2)] byte[]? Value = null,
    [property: Key(3)] byte[]? EndKey = null,
    [property: Key(4)] byte[]? Expected = null);

public enum WriteKind : byte
{
    Put = 1,
    Delete = 2,
    DeleteRange = 3,
    CompareAndSwap = 4,
}
