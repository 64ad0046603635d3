using System.Collections.Concurrent;
using MultiRaft.Store.Batch;
using MultiRaft.Store.Peers;

namespace MultiRaft.Store.Apply;

/// <summary>
/// One peer's queue of committed entries waiting for an apply worker. The peer's Raft worker posts tasks in
/// log order; the apply system holds the mailbox while a round applies them, so one peer's tasks are applied
/// by one worker at a time, in order. The Raft worker waits for the mailbox to empty before it does what must
/// not overlap an apply: installing a snapshot, applying a membership change, destroying the replica.
/// </summary>
internal sealed class ApplyMailbox(Peer peer, Action<ApplyMailbox> schedule) : IBatchItem
{
    private readonly ConcurrentQueue<ApplyTask> _tasks = new();
    private readonly object _idle = new(); // Monitor.Wait needs a monitor, not a System.Threading.Lock.
    private int _scheduled;
    private int _pending; // Posted and not yet finished.
    private ulong _appliedThrough;
    private volatile bool _abandoned;

    public Peer Peer { get; } = peer;

    /// <summary>The last index an apply worker finished here, for the Raft worker to report to its node.</summary>
    public ulong AppliedThrough => Volatile.Read(ref _appliedThrough);

    public void Post(ApplyTask task)
    {
        Interlocked.Increment(ref _pending);
        _tasks.Enqueue(task);
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            schedule(this);
        }
    }

    /// <summary>Takes the next task (only the apply worker holding the mailbox calls this).</summary>
    public bool TryTake(out ApplyTask task) => _tasks.TryDequeue(out task!);

    /// <summary>The holding worker has written <paramref name="count"/> tasks through <paramref name="lastIndex"/>.</summary>
    public void Finished(int count, ulong lastIndex)
    {
        Volatile.Write(ref _appliedThrough, lastIndex);
        if (Interlocked.Add(ref _pending, -count) == 0)
        {
            lock (_idle)
            {
                Monitor.PulseAll(_idle);
            }
        }
    }

    /// <summary>Blocks until every task posted so far is applied. Only the peer's Raft worker calls it, and
    /// apply workers never wait on Raft workers, so this cannot deadlock.</summary>
    public void WaitIdle()
    {
        if (Volatile.Read(ref _pending) == 0)
        {
            return;
        }
        lock (_idle)
        {
            while (Volatile.Read(ref _pending) != 0)
            {
                if (_abandoned)
                {
                    throw new InvalidOperationException($"region {Peer.RegionId}: the apply worker failed with entries still queued here");
                }
                Monitor.Wait(_idle);
            }
        }
    }

    /// <summary>The apply round holding this mailbox failed (the store stops): nothing queued here will be
    /// applied, so a Raft worker waiting for it gives up instead of hanging the shutdown.</summary>
    public void Abandon()
    {
        _abandoned = true;
        lock (_idle)
        {
            Monitor.PulseAll(_idle);
        }
    }

    public void Release()
    {
        Volatile.Write(ref _scheduled, 0);
        if (!_tasks.IsEmpty && Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            schedule(this);
        }
    }
}
