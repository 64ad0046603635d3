using MultiRaft.Store.Batch;
using MultiRaft.Store.Status;

namespace MultiRaft.Store.Apply;

/// <summary>
/// One apply worker's pass over the peers with committed entries waiting: every task of every mailbox goes
/// into one KV write batch (with each region's new applied index), the proposals complete once it is written,
/// and a peer whose reads wait for that index is woken to serve them.
/// </summary>
internal sealed class ApplyRound(Applier applier, StoreMetrics metrics) : IBatchRound<ApplyMailbox>
{
    private readonly List<(ApplyMailbox Mailbox, int Tasks, ulong LastIndex)> _taken = [];

    public void Run(List<ApplyMailbox> mailboxes)
    {
        try
        {
            ApplyAll(mailboxes);
        }
        catch
        {
            foreach (var mailbox in mailboxes)
            {
                mailbox.Abandon();
            }
            throw; // The batch system stops the store.
        }
    }

    private void ApplyAll(List<ApplyMailbox> mailboxes)
    {
        var applied = 0;
        foreach (var mailbox in mailboxes)
        {
            var tasks = 0;
            ulong last = 0;
            while (mailbox.TryTake(out var task))
            {
                if (mailbox.Peer.IsDestroyed)
                {
                    // Destroying waits for the mailbox to empty; only a store that failed can leave tasks behind.
                    task.Fail(mailbox.Peer, Protocol.Kv.RegionError.RegionNotFound(mailbox.Peer.RegionId));
                }
                else
                {
                    applier.Apply(mailbox.Peer, task);
                }
                applied += task.Entries.Length;
                last = task.LastIndex;
                tasks++;
            }
            if (tasks > 0)
            {
                _taken.Add((mailbox, tasks, last));
            }
        }
        applier.Commit();
        metrics.Applied(applied);
        foreach (var (mailbox, tasks, last) in _taken)
        {
            mailbox.Finished(tasks, last);
            mailbox.Peer.OnAppliedElsewhere();
        }
        _taken.Clear();
    }

    public void Dispose() => applier.Dispose();
}
