namespace MultiRaft.Raft.Reads;

/// <summary>A read request waiting for its leadership confirmation: who asked (this node or a follower) and its id.</summary>
internal readonly record struct PendingRead(ulong From, ulong RequestId);

/// <summary>
/// One leadership-confirmation round of ReadIndex: the commit index when the round started, the reads that
/// wait on it and the voters that acknowledged its heartbeat.
/// </summary>
internal sealed class ReadRound
{
    public ReadRound(ulong sequence, ulong index)
    {
        Sequence = sequence;
        Index = index;
    }

    public ulong Sequence { get; }

    public ulong Index { get; }

    public HashSet<ulong> Acks { get; } = [];

    public List<PendingRead> Reads { get; } = [];
}

/// <summary>
/// The leader's outstanding ReadIndex rounds, oldest first. A quorum acknowledging round N also confirms
/// every earlier round: leadership was held at a moment after each of them started.
/// </summary>
internal sealed class ReadIndexQueue
{
    private readonly List<ReadRound> _rounds = [];
    private ulong _lastSequence;

    public int Count => _rounds.Count;

    public ReadRound Start(ulong index, PendingRead read)
    {
        var round = new ReadRound(++_lastSequence, index);
        round.Reads.Add(read);
        _rounds.Add(round);
        return round;
    }

    /// <summary>Records <paramref name="from"/>'s acknowledgement of round <paramref name="sequence"/>;
    /// returns the round, or null if it is no longer pending.</summary>
    public ReadRound? Ack(ulong sequence, ulong from)
    {
        foreach (var round in _rounds)
        {
            if (round.Sequence == sequence)
            {
                round.Acks.Add(from);
                return round;
            }
        }
        return null;
    }

    /// <summary>Removes and returns every round up to and including <paramref name="sequence"/>.</summary>
    public List<ReadRound> ReleaseThrough(ulong sequence)
    {
        var count = 0;
        while (count < _rounds.Count && _rounds[count].Sequence <= sequence)
        {
            count++;
        }
        var released = _rounds.GetRange(0, count);
        _rounds.RemoveRange(0, count);
        return released;
    }

    public ulong LastSequence => _rounds.Count == 0 ? 0 : _rounds[^1].Sequence;

    public void Clear() => _rounds.Clear();
}
