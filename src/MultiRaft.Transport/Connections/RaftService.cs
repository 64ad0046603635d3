using System.Buffers;
using MultiRaft.Protocol;
using MultiRaft.Transport.Framing;

namespace MultiRaft.Transport.Connections;

/// <summary>Takes Raft batch frames and hands every message to <c>onMessage</c>, in the order sent.</summary>
public sealed class RaftService(Action<RaftEnvelope> onMessage) : IFrameService
{
    public FrameKind Kind => FrameKind.RaftMessages;

    public IFrameSession Open(CoalescingFrameWriter writer, Handshake peer, CancellationToken cancellation) => new Session(onMessage);

    private sealed class Session(Action<RaftEnvelope> onMessage) : IFrameSession
    {
        public bool OnFrame(in ReadOnlySequence<byte> payload, out string? error)
        {
            if (!FramedListener.TryDeserialize(payload, out RaftBatch? batch, out error))
            {
                return false;
            }
            foreach (var envelope in batch!.Envelopes)
            {
                onMessage(envelope);
            }
            return true;
        }

        public Task CompleteAsync() => Task.CompletedTask;
    }
}
