namespace MultiRaft.Raft;

/// <summary>The messages Raft peers exchange. Local inputs (tick, propose, ...) are methods, not messages.</summary>
public enum MessageType : byte
{
    Append,
    AppendResponse,
    RequestVote,
    RequestVoteResponse,
    RequestPreVote,
    RequestPreVoteResponse,
    InstallSnapshot,
    Heartbeat,
    HeartbeatResponse,
    /// <summary>A follower forwards a leader-transfer request to its leader.</summary>
    TransferLeader,
    /// <summary>The leader tells the transfer target to campaign at once.</summary>
    TimeoutNow,
    /// <summary>A follower forwards a read-index request to its leader.</summary>
    ReadIndex,
    ReadIndexResponse,
}

/// <summary>
/// One Raft message. Fields are shared across types the way the Raft paper's RPC arguments are; the comments
/// say which types use which field.
/// </summary>
public sealed class Message
{
    public MessageType Type { get; init; }
    public ulong To { get; init; }
    public ulong From { get; init; }
    public ulong Term { get; init; }

    /// <summary>Append: term of the entry before <see cref="Entries"/>. Vote: candidate's last log term.
    /// Rejected AppendResponse: term of the follower's entry at <see cref="RejectHint"/> (fast backtracking).</summary>
    public ulong LogTerm { get; init; }

    /// <summary>Append: index of the entry before <see cref="Entries"/>. Vote: candidate's last log index.
    /// AppendResponse: the index the follower now matches (or, rejected, the probed index).
    /// ReadIndexResponse: the read index.</summary>
    public ulong Index { get; init; }

    private EntryBatch? _batch;

    /// <summary>Append: the entries to append after (Index, LogTerm).</summary>
    public ReadOnlyMemory<Entry> Entries { get; init; }

    /// <summary>Set by the leader when the entries live in a pooled batch (see <see cref="ReleaseEntries"/>).</summary>
    internal EntryBatch? Batch
    {
        init
        {
            _batch = value;
            Entries = value?.Memory ?? default;
        }
    }

    /// <summary>
    /// Hands the entries' pooled buffer back once this message has been delivered and stepped (or serialized)
    /// for the last time; the message must not be read afterwards. Optional: without it the buffer is simply
    /// garbage collected. Never call it on a message that may still be delivered again.
    /// </summary>
    public void ReleaseEntries() => Interlocked.Exchange(ref _batch, null)?.Release();

    /// <summary>Leader's commit index, capped at what the receiver is known to (or will) hold.</summary>
    public ulong Commit { get; init; }

    public Snapshot? Snapshot { get; init; }

    public bool Reject { get; init; }

    /// <summary>Rejected AppendResponse: the follower's guess of the last index that may match.</summary>
    public ulong RejectHint { get; init; }

    /// <summary>ReadIndex and ReadIndexResponse: the requester's id for the read.
    /// Heartbeat and HeartbeatResponse: the leader's read-confirmation round (0 for none).</summary>
    public ulong Context { get; init; }

    /// <summary>Append and Heartbeat: the leader's tick count when sent; echoed in the response so the
    /// leader knows how fresh each follower's acknowledgement is (this is what a lease is built on).</summary>
    public ulong TickStamp { get; init; }

    /// <summary>RequestVote / RequestPreVote sent because of TimeoutNow: voters grant it even while they
    /// believe a leader is alive, since the leader asked for it.</summary>
    public bool LeaderTransfer { get; init; }

    public bool IsResponse => Type is MessageType.AppendResponse or MessageType.RequestVoteResponse
        or MessageType.RequestPreVoteResponse or MessageType.HeartbeatResponse or MessageType.ReadIndexResponse;

    public override string ToString()
    {
        var text = $"{From}->{To} {Type} term={Term}";
        return Type switch
        {
            MessageType.Append => text + $" prev=({Index},{LogTerm}) entries={Entries.Length} commit={Commit}",
            MessageType.AppendResponse => text + (Reject ? $" reject index={Index} hint=({RejectHint},{LogTerm})" : $" index={Index}"),
            MessageType.RequestVote or MessageType.RequestPreVote => text + $" last=({Index},{LogTerm})" + (LeaderTransfer ? " transfer" : ""),
            MessageType.RequestVoteResponse or MessageType.RequestPreVoteResponse => text + (Reject ? " reject" : " grant"),
            MessageType.InstallSnapshot => text + $" snapshot=({Snapshot?.Metadata.Index},{Snapshot?.Metadata.Term})",
            MessageType.Heartbeat => text + $" commit={Commit} ctx={Context}",
            MessageType.HeartbeatResponse => text + $" ctx={Context}",
            MessageType.ReadIndex or MessageType.ReadIndexResponse => text + $" ctx={Context} index={Index}",
            _ => text,
        };
    }
}
