using System.Buffers;
using MultiRaft.Protocol;

namespace MultiRaft.Transport.Connections;

/// <summary>One kind of traffic a <see cref="ServiceListener"/> serves: Raft batches, RPC requests, snapshot
/// chunks. A connection opens a session of a service on the first frame of its kind.</summary>
public interface IFrameService
{
    Framing.FrameKind Kind { get; }

    IFrameSession Open(CoalescingFrameWriter writer, Handshake peer, CancellationToken cancellation);
}

/// <summary>A service's state on one connection.</summary>
public interface IFrameSession
{
    /// <summary>Handles one frame; false (with a reason) closes the connection.</summary>
    bool OnFrame(in ReadOnlySequence<byte> payload, out string? error);

    /// <summary>Waits for work the session started; called once when the connection ends.</summary>
    Task CompleteAsync();
}
