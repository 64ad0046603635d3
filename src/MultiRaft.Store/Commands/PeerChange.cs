using MessagePack;
using MultiRaft.Protocol;
using MultiRaft.Protocol.Admin;
using MultiRaft.Protocol.Metadata;

namespace MultiRaft.Store.Commands;

/// <summary>
/// What a membership change means for the region, carried in the Raft conf change's context: the region and
/// conf version it was proposed against, and the peer with its store (Raft itself only knows node ids); for a
/// swap, also the voter it demotes.
/// </summary>
[MessagePackObject]
public sealed record PeerChange(
    [property: Key(0)] ulong RegionId,
    [property: Key(1)] EpochInfo Epoch,
    [property: Key(2)] PeerChangeKind Kind,
    [property: Key(3)] PeerInfo Peer,
    [property: Key(4)] PeerInfo? Demoted = null)
{
    public byte[] Encode() => ProtocolSerializer.Serialize(this);

    public static PeerChange Decode(ReadOnlyMemory<byte> data) =>
        ProtocolSerializer.Deserialize<PeerChange>(new System.Buffers.ReadOnlySequence<byte>(data));
}
