namespace MultiRaft.Raft;

/// <summary>The state a node must persist before it answers anyone: current term, vote in that term, commit index.</summary>
public readonly record struct HardState(ulong Term, ulong Vote, ulong Commit)
{
    public bool IsEmpty => Term == 0 && Vote == 0 && Commit == 0;
}

/// <summary>Volatile state that a host may want to observe (who leads, which role this node plays).</summary>
public readonly record struct SoftState(ulong Leader, RaftRole Role);

public enum RaftRole : byte
{
    Follower,
    PreCandidate,
    Candidate,
    Leader,
}
