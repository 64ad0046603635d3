namespace MultiRaft.Store.Peers;

/// <summary>
/// Local reads, after TiKV's LocalReader: while the leader holds a lease, a read needs nothing from Raft, so
/// the KV service serves it on its own thread instead of queueing it for a Raft round. Each round turns the
/// core's lease (in ticks) into a deadline on the store's monotonic tick clock; the service compares against it.
/// </summary>
internal sealed partial class Peer
{
    private long _localReadsUntilTick;

    /// <summary>The term of the last applied entry. Local reads wait until it is the leader's own term: only then
    /// does the KV engine hold every entry committed under earlier leaders.</summary>
    public ulong AppliedTerm { get; set; }

    /// <summary>Whether a read may be served now from the KV engine without a Raft round.</summary>
    public bool CanReadLocally => Volatile.Read(ref _localReadsUntilTick) > _clock.Now;

    /// <summary>
    /// Called in every round right after the inbox ran, before the round's messages go out (a leader transfer's
    /// TimeoutNow included). The core's lease ends at tick (quorum stamp + LeaseTicks); node tick T ran at clock
    /// tick <c>_tickSeen</c>, and clock ticks start no earlier than their node ticks ran, so the deadline in clock
    /// ticks is never later than the core's own. While hibernating, node ticks stop and that mapping breaks:
    /// no local reads then (the core voids its lease on waking as well).
    /// </summary>
    public void UpdateLocalReads()
    {
        var left = _hibernating || _destroyed || AppliedTerm != Node.Term ? 0 : Node.LeaseTicksLeft;
        Volatile.Write(ref _localReadsUntilTick, left > 0 ? _tickSeen + left : 0);
    }

    private void StopLocalReads() => Volatile.Write(ref _localReadsUntilTick, 0);
}
