namespace MultiRaft.Raft;

/// <summary>A confirmed read: once the state machine has applied <paramref name="Index"/>, a read for
/// <paramref name="RequestId"/> observes every write that completed before the read was requested.</summary>
public readonly record struct ReadState(ulong Index, ulong RequestId);
