namespace MultiRaft.Raft.Quorum;

public enum VoteResult : byte
{
    /// <summary>Neither won nor lost yet: some voters have not answered.</summary>
    Pending,
    Lost,
    Won,
}
