namespace MultiRaft.Raft;

/// <summary>
/// Settings for one <see cref="RaftNode"/>. Times are in ticks; the host decides how long a tick is
/// (100 ms in the store).
/// </summary>
public sealed record RaftConfig
{
    /// <summary>This node's id; never 0.</summary>
    public required ulong Id { get; init; }

    public required IRaftStorage Storage { get; init; }

    /// <summary>Seeded randomness for election timeouts; the only source of nondeterminism, so the simulator can replay.</summary>
    public required Random Random { get; init; }

    /// <summary>A follower that hears nothing for a random time in [ElectionTicks, 2 × ElectionTicks) campaigns.</summary>
    public int ElectionTicks { get; init; } = 10;

    public int HeartbeatTicks { get; init; } = 2;

    /// <summary>How long a leader may serve reads locally after a quorum acknowledged it. Must be below
    /// <see cref="ElectionTicks"/>; see <see cref="RaftNode.HasValidLease"/> for the clock-drift bound this assumes.</summary>
    public int LeaseTicks { get; init; } = 9;

    /// <summary>Last index the application has already applied (on restart), so entries are not applied twice.</summary>
    public ulong Applied { get; init; }

    /// <summary>Upper bound on the bytes of entries in one append message.</summary>
    public long MaxSizePerMessage { get; init; } = 1024 * 1024;

    /// <summary>Appends in flight to one follower in replicate state.</summary>
    public int MaxInflightMessages { get; init; } = 256;

    /// <summary>Bytes of appends in flight to one follower (0 = unlimited).</summary>
    public long MaxInflightBytes { get; init; }

    /// <summary>Bytes proposed but not yet committed beyond which proposals answer <see cref="ProposalStatus.Busy"/> (0 = unlimited).</summary>
    public long MaxUncommittedBytes { get; init; }

    /// <summary>Upper bound on the bytes of committed entries handed out in one Ready.</summary>
    public long MaxCommittedBytesPerReady { get; init; } = 64L * 1024 * 1024;

    /// <summary>Campaign in two phases so a node that was cut off does not depose a healthy leader on return.</summary>
    public bool PreVote { get; init; } = true;

    /// <summary>A leader that has not heard from a quorum within an election timeout steps down; followers
    /// ignore vote requests while they hear from a leader. Required for lease reads.</summary>
    public bool CheckQuorum { get; init; } = true;

    /// <summary>Serve ReadIndex from the leader's lease when it is valid (requires CheckQuorum).</summary>
    public bool LeaseRead { get; init; } = true;

    /// <summary>A node that starts with a non-zero term may be one a leader's lease counts on (it restarted),
    /// so it refuses votes for an election timeout. A host creating a brand-new group member that no leader
    /// can have counted on yet (a region just made by a split) turns this off so the group elects at once.</summary>
    public bool QuietOnStart { get; init; } = true;

    /// <summary>The host persists a Ready's entries and hard state after it has moved on: it calls
    /// <see cref="RaftNode.AdvanceWritingLater"/> and reports durability with <see cref="RaftNode.PersistedTo"/>,
    /// so the node takes new input while its log write is in flight. Committed entries are then handed out only
    /// once this node has them durably.</summary>
    public bool AsyncLogWrites { get; init; }

    public void Validate()
    {
        if (Id == 0)
        {
            throw new ArgumentException("node id must not be 0", nameof(Id));
        }
        if (HeartbeatTicks <= 0 || ElectionTicks <= HeartbeatTicks)
        {
            throw new ArgumentException($"election ticks ({ElectionTicks}) must exceed heartbeat ticks ({HeartbeatTicks}) > 0");
        }
        if (LeaseTicks <= 0 || LeaseTicks >= ElectionTicks)
        {
            throw new ArgumentException($"lease ticks ({LeaseTicks}) must be in (0, election ticks {ElectionTicks})");
        }
        if (MaxInflightMessages <= 0)
        {
            throw new ArgumentException("max inflight messages must be positive", nameof(MaxInflightMessages));
        }
        if (LeaseRead && !CheckQuorum)
        {
            throw new ArgumentException("lease reads are only safe with CheckQuorum");
        }
    }
}
