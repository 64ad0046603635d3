namespace MultiRaft.Storage.Kv;

/// <summary>
/// How far a region's state machine has applied its Raft log: the index and term of the last applied entry.
/// It is written in the same write batch as the data changes of the entries it covers, so that after any crash
/// the stored applied index never runs ahead of the stored data (nor lags behind it).
/// </summary>
public readonly record struct ApplyState(ulong AppliedIndex, ulong AppliedTerm);
