using MultiRaft.Raft.Quorum;

namespace MultiRaft.Raft.Tracker;

/// <summary>The leader's bookkeeping: membership, per-peer progress, and votes of the current election.</summary>
public sealed class ProgressTracker
{
    private readonly Dictionary<ulong, bool> _votes = [];
    private readonly Func<ulong, ulong> _matchOf;
    private readonly Func<ulong, ulong> _tickStampOf;
    private readonly Func<ulong, bool?> _voteOf;
    private readonly Func<ulong, bool?> _activeOf;

    public ProgressTracker(int maxInflight, long maxInflightBytes)
    {
        MaxInflight = maxInflight;
        MaxInflightBytes = maxInflightBytes;
        _matchOf = id => Progress.TryGetValue(id, out var pr) ? pr.Match : 0;
        _tickStampOf = id => Progress.TryGetValue(id, out var pr) ? pr.AckedTickStamp : 0;
        _voteOf = id => _votes.TryGetValue(id, out var granted) ? granted : null;
        _activeOf = id => Progress.TryGetValue(id, out var pr) && pr.RecentActive;
    }

    public int MaxInflight { get; }

    public long MaxInflightBytes { get; }

    public TrackerConfig Config { get; private set; } = new();

    public Dictionary<ulong, Progress> Progress { get; private set; } = [];

    /// <summary>Whether <paramref name="id"/> alone decides: the only voter, outside any joint configuration.</summary>
    public bool IsSoleVoter(ulong id) => Config.Voters.Incoming.Count == 1 && !Config.Voters.IsJoint && Config.Voters.Incoming.Contains(id);

    public void Apply(TrackerConfig config, Dictionary<ulong, Progress> progress)
    {
        Config = config;
        Progress = progress;
    }

    public Progress NewProgress(ulong next, bool isLearner) => new(next, MaxInflight, MaxInflightBytes, isLearner);

    /// <summary>The highest index stored on a quorum of voters.</summary>
    public ulong Committed() => Config.Voters.CommittedIndex(_matchOf);

    /// <summary>The newest leader tick that a quorum of voters has acknowledged (the leader's own entry is set by the caller).</summary>
    public ulong QuorumTickStamp() => Config.Voters.CommittedIndex(_tickStampOf);

    /// <summary>Whether a quorum has been heard from since the last reset (CheckQuorum).</summary>
    public bool QuorumActive() => Config.Voters.Tally(_activeOf) == VoteResult.Won;

    public void ResetVotes() => _votes.Clear();

    public void RecordVote(ulong id, bool granted) => _votes.TryAdd(id, granted);

    /// <summary>The election's outcome so far under the current (possibly joint) configuration.</summary>
    public VoteResult TallyVotes() => Config.Voters.Tally(_voteOf);

    /// <summary>Tallies acknowledgements of a read round using the same quorum rules as votes.</summary>
    public VoteResult TallyAcks(HashSet<ulong> acks) => Config.Voters.Tally(id => acks.Contains(id) ? true : null);

    public bool IsVoter(ulong id) => Config.Voters.Contains(id);
}
