namespace MultiRaft.Transport.Framing;

/// <summary>What a frame's payload is. Unknown kinds are a protocol error.</summary>
public enum FrameKind : byte
{
    Handshake = 1,
    HandshakeAccepted = 2,
    RaftMessages = 3,
    Request = 4,
    Response = 5,
    SnapshotChunk = 6,
    /// <summary>The receiver's answer on a snapshot connection (accepted, or why not).</summary>
    SnapshotResult = 7,
}
