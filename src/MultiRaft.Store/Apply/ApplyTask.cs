using MultiRaft.Raft;
using MultiRaft.Store.Peers;

namespace MultiRaft.Store.Apply;

/// <summary>
/// Committed entries of one peer handed from its Raft round to be applied, with the proposals waiting on them.
/// The entries are copied out of the Ready (whose buffers the next Ready reuses); the proposals are taken from
/// the peer on its Raft worker, so the apply worker never touches the peer's proposal table.
/// </summary>
internal sealed class ApplyTask
{
    private ApplyTask(Entry[] entries, Proposal?[]? proposals)
    {
        Entries = entries;
        Proposals = proposals;
    }

    public Entry[] Entries { get; }

    /// <summary>The proposal placed at each entry's index (same positions as <see cref="Entries"/>), or null
    /// when none of them has one (a follower's entries).</summary>
    public Proposal?[]? Proposals { get; }

    public ulong LastIndex => Entries[^1].Index;

    /// <summary>Whether an entry changes membership: Raft's configuration changes when it applies, on the
    /// peer's Raft worker, so such a task is applied there rather than handed off.</summary>
    public bool ChangesMembership => Array.Exists(Entries, e => e.Type == EntryType.ConfChange);

    /// <summary>Completes the waiting proposals with <paramref name="error"/> instead of applying.</summary>
    public void Fail(Peer peer, Protocol.Kv.RegionError error)
    {
        foreach (var proposal in Proposals ?? [])
        {
            if (proposal is not null)
            {
                peer.FinishProposal(proposal, new CommandResult(error));
            }
        }
    }

    /// <summary>Takes the committed entries of a Ready and their proposals (on the peer's Raft worker).</summary>
    public static ApplyTask Take(Peer peer, ReadOnlySpan<Entry> committed)
    {
        var entries = committed.ToArray();
        Proposal?[]? proposals = null;
        if (peer.HasProposals)
        {
            for (var i = 0; i < entries.Length; i++)
            {
                if (peer.TakeProposal(entries[i].Index) is { } proposal)
                {
                    (proposals ??= new Proposal?[entries.Length])[i] = proposal;
                }
            }
        }
        return new ApplyTask(entries, proposals);
    }
}
