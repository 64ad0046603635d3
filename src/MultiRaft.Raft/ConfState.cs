namespace MultiRaft.Raft;

/// <summary>
/// A group's membership as of some log index: the voters of the incoming and (while joint) outgoing
/// configuration, the learners, and the learners that become learners once the joint configuration is left.
/// </summary>
public sealed record ConfState
{
    public static readonly ConfState Empty = new();

    public ulong[] Voters { get; init; } = [];
    public ulong[] VotersOutgoing { get; init; } = [];
    public ulong[] Learners { get; init; } = [];
    public ulong[] LearnersNext { get; init; } = [];
    public bool AutoLeave { get; init; }

    public bool IsJoint => VotersOutgoing.Length > 0;

    public static ConfState OfVoters(params ulong[] voters) => new() { Voters = voters };

    public bool Equals(ConfState? other) =>
        other is not null
        && AutoLeave == other.AutoLeave
        && SameSet(Voters, other.Voters)
        && SameSet(VotersOutgoing, other.VotersOutgoing)
        && SameSet(Learners, other.Learners)
        && SameSet(LearnersNext, other.LearnersNext);

    public override int GetHashCode() => HashCode.Combine(Voters.Length, VotersOutgoing.Length, Learners.Length, AutoLeave);

    public override string ToString() =>
        $"voters=({string.Join(',', Voters)})" + (IsJoint ? $"&&({string.Join(',', VotersOutgoing)})" : "")
        + (Learners.Length > 0 ? $" learners=({string.Join(',', Learners)})" : "")
        + (LearnersNext.Length > 0 ? $" learners_next=({string.Join(',', LearnersNext)})" : "")
        + (AutoLeave ? " autoleave" : "");

    private static bool SameSet(ulong[] a, ulong[] b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }
        foreach (var x in a)
        {
            if (Array.IndexOf(b, x) < 0)
            {
                return false;
            }
        }
        return true;
    }
}
