namespace MultiRaft.Raft;

/// <summary>Why a proposal, conf change, read or transfer request was or was not accepted.</summary>
public enum ProposalStatus : byte
{
    Accepted,
    /// <summary>This node is not the leader; <see cref="RaftNode.LeaderId"/> names the leader if known.</summary>
    NotLeader,
    /// <summary>A leader transfer is in progress; proposals resume when it completes or aborts.</summary>
    TransferInProgress,
    /// <summary>This node is not (or no longer) a member of the group.</summary>
    NotMember,
    /// <summary>Another membership change is proposed and not yet applied.</summary>
    ConfChangePending,
    /// <summary>The membership change is malformed or would break the configuration.</summary>
    InvalidConfChange,
    /// <summary>Too many bytes are proposed and not yet committed; back off.</summary>
    Busy,
}

/// <summary>The outcome of a proposal: on success, the index and term the entry was given. The entry is only
/// known to be committed once it is applied at that index with that term; a different term there means it
/// was lost to a leader change.</summary>
public readonly record struct ProposeResult(ProposalStatus Status, ulong Index, ulong Term)
{
    public bool IsAccepted => Status == ProposalStatus.Accepted;

    public static ProposeResult Rejected(ProposalStatus status) => new(status, 0, 0);
}
