using MultiRaft.Protocol;

namespace MultiRaft.Transport.Snapshots;

/// <summary>
/// Where a receiving store puts incoming snapshot data (a temporary file in the store; a hashing stream in
/// tests). For every stream <see cref="BeginReceive"/> hands out, exactly one of <see cref="CompleteAsync"/>
/// and <see cref="Abort"/> is called, and the stream goes back to the sink with it: the sink disposes it.
/// Calls for one snapshot never overlap; calls for different snapshots may run concurrently.
/// </summary>
public interface ISnapshotSink
{
    /// <summary>A snapshot begins (its header arrived): the stream to write its data to, in order, or null
    /// with a reason to refuse it.</summary>
    Stream? BeginReceive(RaftEnvelope header, out string? refuseReason);

    /// <summary>All data arrived, with the length and checksum the sender sent: take it. Null accepts; a
    /// reason rejects (the sink then discards the stream itself). <paramref name="received"/> is positioned at
    /// its end. An exception counts as a rejection with its message.</summary>
    Task<string?> CompleteAsync(RaftEnvelope header, Stream received, CancellationToken cancellation);

    /// <summary>The snapshot failed (connection dropped, checksum mismatch, protocol error, a write failed,
    /// the listener is stopping): discard <paramref name="received"/> (delete the temporary file).</summary>
    void Abort(RaftEnvelope header, Stream received);
}
