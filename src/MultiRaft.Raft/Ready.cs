namespace MultiRaft.Raft;

/// <summary>
/// Everything a node needs the host to do, in this order:
/// 1. persist <see cref="HardState"/>, <see cref="Entries"/> and <see cref="Snapshot"/> (one durable write,
///    fsync'd if <see cref="MustSync"/>); <see cref="Messages"/> may be sent meanwhile;
/// 2. only then send <see cref="MessagesAfterPersist"/> — they promise what step 1 stored;
/// 3. apply <see cref="CommittedEntries"/> in order (a snapshot first, if any) and serve <see cref="ReadStates"/>
///    once their index is applied;
/// 4. call <see cref="RaftNode.Advance"/> with this Ready — or, where step 3 runs elsewhere, call
///    <see cref="RaftNode.AdvanceApplyingLater"/> once steps 1–2 are done and report <see cref="RaftNode.AppliedTo"/>.
/// </summary>
public sealed class Ready
{
    internal Ready()
    {
    }

    /// <summary>Set when leader or role changed since the last Ready.</summary>
    public SoftState? SoftState { get; internal init; }

    /// <summary>Set when term, vote or commit changed since the last Ready.</summary>
    public HardState? HardState { get; internal init; }

    /// <summary>Entries to append to stable storage (replacing any conflicting suffix). A reused buffer:
    /// valid until the next GetReady.</summary>
    public EntryList Entries { get; internal init; } = EntryList.Empty;

    /// <summary>A snapshot from the leader to install, replacing log and state machine.</summary>
    public Snapshot? Snapshot { get; internal init; }

    /// <summary>Messages that may be sent at once.</summary>
    public List<Message> Messages { get; internal init; } = [];

    /// <summary>Messages that may only be sent after this Ready's state is durable.</summary>
    public List<Message> MessagesAfterPersist { get; internal init; } = [];

    /// <summary>Committed entries to apply to the state machine, in index order. A reused buffer: valid
    /// until the next GetReady.</summary>
    public EntryList CommittedEntries { get; internal init; } = EntryList.Empty;

    public List<ReadState> ReadStates { get; internal init; } = [];

    /// <summary>Whether the durable write must be fsync'd (new entries, or a changed term or vote).</summary>
    public bool MustSync { get; internal init; }
}
