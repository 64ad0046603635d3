namespace MultiRaft.Raft.Quorum;

/// <summary>
/// The voters of a group: the incoming configuration and, while a joint-consensus change is in progress,
/// the outgoing one. Every decision needs a majority of both (Raft §4.3).
/// </summary>
public sealed class JointConfig
{
    public JointConfig(MajorityConfig incoming, MajorityConfig outgoing)
    {
        Incoming = incoming;
        Outgoing = outgoing;
    }

    public MajorityConfig Incoming { get; }

    public MajorityConfig Outgoing { get; }

    public bool IsJoint => Outgoing.Count > 0;

    public bool Contains(ulong id) => Incoming.Contains(id) || Outgoing.Contains(id);

    public JointConfig Clone() => new(Incoming.Clone(), Outgoing.Clone());

    public ulong CommittedIndex(Func<ulong, ulong> acked) =>
        Math.Min(Incoming.CommittedIndex(acked), Outgoing.CommittedIndex(acked));

    public VoteResult Tally(Func<ulong, bool?> vote)
    {
        var first = Incoming.Tally(vote);
        var second = Outgoing.Tally(vote);
        if (first == second)
        {
            return first;
        }
        if (first == VoteResult.Lost || second == VoteResult.Lost)
        {
            return VoteResult.Lost;
        }
        return VoteResult.Pending;
    }

    /// <summary>Every voter, each once.</summary>
    public IEnumerable<ulong> Ids()
    {
        foreach (var id in Incoming)
        {
            yield return id;
        }
        foreach (var id in Outgoing)
        {
            if (!Incoming.Contains(id))
            {
                yield return id;
            }
        }
    }

    public override string ToString() => IsJoint ? $"{Incoming}&&{Outgoing}" : Incoming.ToString();
}
