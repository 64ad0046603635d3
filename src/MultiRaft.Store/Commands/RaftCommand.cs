using MessagePack;
using MultiRaft.Protocol;
using MultiRaft.Protocol.Metadata;

namespace MultiRaft.Store.Commands;

/// <summary>
/// The data of a normal Raft entry: the writes of one client request, stamped with the region epoch it was
/// proposed under — or one admin command, or one transactional command. At apply time a command whose epoch version no longer matches the
/// region (a split happened in between) changes nothing, so a key never lands in a region that no longer
/// owns it.
/// </summary>
[MessagePackObject]
public sealed record RaftCommand(
    [property: Key(0)] ulong RegionId,
    [property: Key(1)] EpochInfo Epoch,
    [property: Key(2)] WriteOp[] Writes,
    [property: Key(3)] SplitCommand? Split = null,
    [property: Key(4)] TxnCommand? Txn = null)
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

/// <summary>Split at <see cref="SplitKeys"/>: the i-th new region, starting at the i-th key, gets region id
/// <see cref="NewRegionIds"/>[i] and peer ids <see cref="NewPeerIds"/>[i] (one per current peer, in the
/// region's peer order). Ids come from PD, so every store creates the same regions.</summary>
[MessagePackObject]
public sealed record SplitCommand(
    [property: Key(0)] byte[][] SplitKeys,
    [property: Key(1)] ulong[] NewRegionIds,
    [property: Key(2)] ulong[][] NewPeerIds);
