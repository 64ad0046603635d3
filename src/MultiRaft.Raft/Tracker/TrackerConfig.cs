using MultiRaft.Raft.Quorum;

namespace MultiRaft.Raft.Tracker;

/// <summary>
/// A group's membership as the leader tracks it. Learners never overlap voters; LearnersNext holds peers that
/// are voters in the outgoing configuration and become learners when the joint configuration is left.
/// </summary>
public sealed class TrackerConfig
{
    public TrackerConfig()
        : this(new JointConfig(new MajorityConfig(), new MajorityConfig()), [], [], false)
    {
    }

    public TrackerConfig(JointConfig voters, SortedSet<ulong> learners, SortedSet<ulong> learnersNext, bool autoLeave)
    {
        Voters = voters;
        Learners = learners;
        LearnersNext = learnersNext;
        AutoLeave = autoLeave;
    }

    public JointConfig Voters { get; }

    public SortedSet<ulong> Learners { get; }

    public SortedSet<ulong> LearnersNext { get; }

    public bool AutoLeave { get; set; }

    public TrackerConfig Clone() => new(Voters.Clone(), [.. Learners], [.. LearnersNext], AutoLeave);

    public ConfState ToConfState() => new()
    {
        Voters = Voters.Incoming.ToArray(),
        VotersOutgoing = Voters.Outgoing.ToArray(),
        Learners = [.. Learners],
        LearnersNext = [.. LearnersNext],
        AutoLeave = AutoLeave,
    };

    public override string ToString() => ToConfState().ToString();
}
