namespace MultiRaft.Transport.Snapshots;

/// <summary>How sending one snapshot ended.</summary>
public enum SnapshotStatus
{
    /// <summary>The receiver got all the data, the checksum matched and its store took it.</summary>
    Accepted,

    /// <summary>No connection: refused, unreachable, or the handshake failed (wrong store or cluster).</summary>
    Unreachable,

    /// <summary>The receiver refused before taking data: too many snapshots in flight there, or its store
    /// would not take this one.</summary>
    Refused,

    /// <summary>The receiver's length or checksum did not match what was sent.</summary>
    ChecksumMismatch,

    /// <summary>The data arrived whole but the receiving store rejected it or could not write it.</summary>
    Rejected,

    /// <summary>The connection broke (or the receiver closed it for a protocol error) before an answer.</summary>
    ConnectionLost,

    /// <summary><see cref="SnapshotOptions.Timeout"/> passed before the receiver answered.</summary>
    TimedOut,

    /// <summary>Reading the snapshot data on this side failed; the receiver discards what it got.</summary>
    SourceFailed,
}

/// <summary>The result of <see cref="SnapshotSender.SendAsync"/>: a status, why (null when accepted), the data
/// bytes written to the connection and how long it took.</summary>
public sealed record SnapshotOutcome(SnapshotStatus Status, string? Reason, long BytesSent, TimeSpan Elapsed)
{
    public bool Succeeded => Status == SnapshotStatus.Accepted;

    public override string ToString() => Reason is null ? $"{Status} ({BytesSent} bytes in {Elapsed})" : $"{Status}: {Reason} ({BytesSent} bytes in {Elapsed})";
}
