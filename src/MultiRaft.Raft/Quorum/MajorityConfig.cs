using System.Collections;

namespace MultiRaft.Raft.Quorum;

/// <summary>A set of voters that decides by simple majority.</summary>
public sealed class MajorityConfig : IEnumerable<ulong>
{
    private readonly SortedSet<ulong> _voters;

    public MajorityConfig() => _voters = [];

    public MajorityConfig(IEnumerable<ulong> voters) => _voters = [.. voters];

    public int Count => _voters.Count;

    public bool Contains(ulong id) => _voters.Contains(id);

    public bool Add(ulong id) => _voters.Add(id);

    public bool Remove(ulong id) => _voters.Remove(id);

    public void Clear() => _voters.Clear();

    public MajorityConfig Clone() => new(_voters);

    public ulong[] ToArray() => [.. _voters];

    /// <summary>The largest index that a majority has acknowledged. An empty configuration returns
    /// ulong.MaxValue so that, inside a joint configuration, it never holds the other half back.</summary>
    public ulong CommittedIndex(Func<ulong, ulong> acked)
    {
        var n = _voters.Count;
        if (n == 0)
        {
            return ulong.MaxValue;
        }
        Span<ulong> indexes = n <= 16 ? stackalloc ulong[n] : new ulong[n];
        var i = 0;
        foreach (var id in _voters)
        {
            indexes[i++] = acked(id);
        }
        indexes.Sort();
        // Ascending order: the entry at n - (n/2 + 1) is held by at least a majority.
        return indexes[n - (n / 2 + 1)];
    }

    /// <summary>Tallies votes: <paramref name="vote"/> answers true (granted), false (rejected) or null (no answer).</summary>
    public VoteResult Tally(Func<ulong, bool?> vote)
    {
        if (_voters.Count == 0)
        {
            // An empty configuration wins every vote, so that joint quorums reduce to the non-empty half.
            return VoteResult.Won;
        }
        int granted = 0, missing = 0;
        foreach (var id in _voters)
        {
            switch (vote(id))
            {
                case true: granted++; break;
                case null: missing++; break;
            }
        }
        var quorum = _voters.Count / 2 + 1;
        if (granted >= quorum)
        {
            return VoteResult.Won;
        }
        return granted + missing >= quorum ? VoteResult.Pending : VoteResult.Lost;
    }

    public IEnumerator<ulong> GetEnumerator() => _voters.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => "(" + string.Join(' ', _voters) + ")";
}
