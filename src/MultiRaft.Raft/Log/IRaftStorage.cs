namespace MultiRaft.Raft;

/// <summary>Result of a read from the stable log.</summary>
public enum LogRead : byte
{
    Ok,
    /// <summary>The index is below the first index: compacted into a snapshot.</summary>
    Compacted,
    /// <summary>The index is beyond the last index.</summary>
    Unavailable,
}

/// <summary>What a node restarts from: its hard state and the membership it last persisted.</summary>
public readonly record struct RaftInitialState(HardState HardState, ConfState ConfState);

/// <summary>
/// The durable part of one node's log, as the Raft core reads it. The host writes to it (entries and hard
/// state from each <see cref="Ready"/>, snapshots, compaction); the core only reads. Index 0 never holds an
/// entry: the first index is one past the last compacted (snapshot) index.
/// </summary>
public interface IRaftStorage
{
    RaftInitialState InitialState();

    /// <summary>Appends entries in [lo, hi) to <paramref name="into"/>, stopping once
    /// <paramref name="maxBytes"/> is exceeded (always at least one entry).</summary>
    LogRead Entries(ulong lo, ulong hi, long maxBytes, List<Entry> into);

    /// <summary>Term of the entry at <paramref name="index"/>; valid for FirstIndex-1 (the snapshot's term) through LastIndex.</summary>
    LogRead Term(ulong index, out ulong term);

    ulong FirstIndex { get; }

    ulong LastIndex { get; }

    /// <summary>The most recent snapshot, or null when one is being produced and is not ready yet.</summary>
    Snapshot? Snapshot();
}
