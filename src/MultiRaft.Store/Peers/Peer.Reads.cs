using MultiRaft.Protocol.Kv;
using MultiRaft.Raft;

namespace MultiRaft.Store.Peers;

/// <summary>Linearizable reads: all reads that arrive in one round share one ReadIndex request (the core
/// answers it at once while the leader lease holds, else after a heartbeat quorum); each waits until the
/// confirmed index is applied here.</summary>
internal sealed partial class Peer
{
    private readonly Dictionary<ulong, List<ReadWaiter>> _awaitingIndex = [];
    private readonly List<(ulong Index, List<ReadWaiter> Waiters)> _awaitingApply = [];
    private ulong _nextReadId;
    private ulong _readsWaitFor = ulong.MaxValue; // The lowest index a confirmed read waits to see applied.

    private void StartRead(List<ReadWaiter> waiters)
    {
        var requestId = ++_nextReadId;
        var status = Node.ReadIndex(requestId);
        if (status != ProposalStatus.Accepted)
        {
            var error = status == ProposalStatus.NotLeader
                ? RegionError.NotLeader(RegionId, Leader)
                : new RegionError(RegionErrorKind.ProposalDropped, $"region {RegionId} cannot serve reads now: {status}");
            foreach (var waiter in waiters)
            {
                waiter.Fail(error);
            }
            return;
        }
        _awaitingIndex[requestId] = waiters;
    }

    /// <summary>Confirmed read indexes from a Ready; reads whose index is applied complete now.</summary>
    public void OnReadStates(List<ReadState> states)
    {
        foreach (var state in states)
        {
            if (_awaitingIndex.Remove(state.RequestId, out var waiters))
            {
                _awaitingApply.Add((state.Index, waiters));
            }
        }
        ServeAppliedReads();
    }

    /// <summary>Called by an apply worker after it applied entries here: wakes the peer if reads wait for them.</summary>
    public void OnAppliedElsewhere()
    {
        Interlocked.MemoryBarrier(); // Pairs with the barrier in ServeAppliedReads: one side sees the other's write.
        if (AppliedIndex >= Volatile.Read(ref _readsWaitFor))
        {
            TrySchedule();
        }
    }

    public void ServeAppliedReads()
    {
        while (ServeReadsUpTo(AppliedIndex))
        {
        }
    }

    /// <summary>Serves the reads whose index is applied and publishes the lowest index still awaited. Returns
    /// whether an apply that finished meanwhile may have missed that publication (then serve again).</summary>
    private bool ServeReadsUpTo(ulong applied)
    {
        if (_awaitingApply.Count == 0)
        {
            return false;
        }
        var kept = 0;
        var lowest = ulong.MaxValue;
        for (var i = 0; i < _awaitingApply.Count; i++)
        {
            var (index, waiters) = _awaitingApply[i];
            if (index > applied)
            {
                _awaitingApply[kept++] = _awaitingApply[i];
                lowest = Math.Min(lowest, index);
                continue;
            }
            foreach (var waiter in waiters)
            {
                waiter.Ready();
            }
        }
        _awaitingApply.RemoveRange(kept, _awaitingApply.Count - kept);
        Volatile.Write(ref _readsWaitFor, lowest);
        Interlocked.MemoryBarrier();
        return AppliedIndex >= lowest;
    }

    private void FailReads(RegionError error)
    {
        foreach (var waiters in _awaitingIndex.Values)
        {
            foreach (var waiter in waiters)
            {
                waiter.Fail(error);
            }
        }
        _awaitingIndex.Clear();
        // Reads already confirmed stay valid: their index was confirmed while we led; they only wait to apply.
    }
}
