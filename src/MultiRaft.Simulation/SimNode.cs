using MultiRaft.Raft;

namespace MultiRaft.Simulation;

/// <summary>
/// A simulated host: one <see cref="RaftNode"/> over a <see cref="MemoryStorage"/> that stands for its disk.
/// A crash drops the node object (and so everything not persisted); a restart builds a new one from the
/// storage and the last snapshot, as a real store would.
/// </summary>
internal sealed class SimNode
{
    /// <summary>Groups start from a bootstrap snapshot at this index and term, like TiKV's initial log index;
    /// peers added later have an empty log and so always receive a snapshot first.</summary>
    public const ulong BootstrapIndex = 5;

    private readonly int _seed;
    private readonly List<ulong> _chain = [0];
    private ulong _chainBase;
    private int _incarnation;

    private SimNode(ulong id, MemoryStorage storage, int seed, bool writesLater)
    {
        Id = id;
        WritesLater = writesLater;
        Storage = storage;
        _seed = seed;
        _chainBase = storage.FirstIndex - 1;
        Node = NewRaftNode();
    }

    public ulong Id { get; }

    public MemoryStorage Storage { get; }

    public RaftNode Node { get; private set; }

    public bool Alive { get; private set; } = true;

    /// <summary>Whether the host stopped ticking this node, as a store does for a hibernating region. Any input
    /// resumes it (<see cref="ResumeIfPaused"/>), as any input wakes a hibernating peer.</summary>
    public bool Paused { get; private set; }

    public void Pause() => Paused = true;

    /// <summary>Resumes a paused node before it takes input; returns whether it was paused.</summary>
    /// <param name="tellNode">False only for the checker's test of a broken host.</param>
    public bool ResumeIfPaused(bool tellNode = true)
    {
        if (!Paused)
        {
            return false;
        }
        Paused = false;
        if (tellNode)
        {
            Node.ResumeAfterPause();
        }
        return true;
    }

    public SimStateMachine StateMachine { get; private set; } = new();

    /// <summary>Whether this node applies like a store with apply workers: committed entries wait in
    /// <see cref="Unapplied"/> and are reported applied later (membership changes are applied at once, after them).</summary>
    public bool AppliesLater { get; init; }

    /// <summary>Committed entries handed out and not yet applied (see <see cref="AppliesLater"/>).</summary>
    public List<Entry> Unapplied { get; } = [];

    /// <summary>Whether this node writes like a store with a log writer thread: each Ready's write waits in
    /// <see cref="PendingWrites"/>, and the node goes on, until it is made durable (and reported) later.</summary>
    public bool WritesLater { get; init; }

    /// <summary>Writes taken from Readys and not yet durable, oldest first; a crash loses them.</summary>
    public List<PendingWrite> PendingWrites { get; } = [];

    /// <summary>The lowest index a pending write will (re)write: the stored log is final only below it.</summary>
    public ulong FirstPendingIndex
    {
        get
        {
            var first = ulong.MaxValue;
            foreach (var write in PendingWrites)
            {
                if (write.Entries.Length > 0)
                {
                    first = Math.Min(first, write.Entries[0].Index);
                }
            }
            return first;
        }
    }

    /// <summary>Proposals this incarnation made and has not yet seen applied: index → (term, write id).</summary>
    public Dictionary<ulong, (ulong Term, ulong WriteId)> Proposals { get; } = [];

    /// <summary>Reads this incarnation requested: request id → highest write index acknowledged before the read began.</summary>
    public Dictionary<ulong, ulong> ReadsRequested { get; } = [];

    /// <summary>The highest index at which this node's committed log was checked against the global record.</summary>
    public ulong CheckedCommit { get; set; }

    public static SimNode Bootstrap(ulong id, ulong[] voters, int seed, bool appliesLater = false, bool writesLater = false)
    {
        var storage = new MemoryStorage();
        var machine = new SimStateMachine { AppliedIndex = BootstrapIndex };
        storage.ApplySnapshot(new Snapshot(new SnapshotMetadata(BootstrapIndex, BootstrapIndex, ConfState.OfVoters(voters)), machine.Encode(0)));
        storage.SetHardState(new HardState(BootstrapIndex, RaftNode.None, BootstrapIndex));
        var node = new SimNode(id, storage, seed, writesLater) { StateMachine = machine, AppliesLater = appliesLater };
        node.CheckedCommit = BootstrapIndex;
        return node;
    }

    public static SimNode Joining(ulong id, int seed, bool appliesLater = false, bool writesLater = false) =>
        new(id, new MemoryStorage(), seed, writesLater) { AppliesLater = appliesLater };

    private RaftNode NewRaftNode() => new(new RaftConfig
    {
        Id = Id,
        Storage = Storage,
        // Not HashCode.Combine: it is randomized per process, and a seed must replay in any process.
        Random = new Random(unchecked(_seed * 1_000_003 + (int)Id * 7_919 + _incarnation * 104_729)),
        Applied = Storage.Snapshot()!.Metadata.Index,
        MaxSizePerMessage = 4096,
        MaxInflightMessages = 8,
        AsyncLogWrites = WritesLater,
    });

    public void Crash()
    {
        Alive = false;
        Paused = false;
        Unapplied.Clear();
        PendingWrites.Clear();
        Proposals.Clear();
        ReadsRequested.Clear();
    }

    public void Restart()
    {
        _incarnation++;
        var snapshot = Storage.Snapshot()!;
        StateMachine = new SimStateMachine { AppliedIndex = snapshot.Metadata.Index };
        if (!snapshot.Data.IsEmpty)
        {
            StateMachine.Restore(snapshot.Data.Span, snapshot.Metadata.Index);
        }
        Node = NewRaftNode();
        Alive = true;
    }

    /// <summary>Digest of the persisted log prefix ending at <paramref name="index"/>.</summary>
    public ulong ChainAt(ulong index) => _chain[(int)(index - _chainBase)];

    public void InstallSnapshot(Snapshot snapshot)
    {
        Storage.ApplySnapshot(snapshot);
        var digest = StateMachine.Restore(snapshot.Data.Span, snapshot.Metadata.Index);
        _chain.Clear();
        _chain.Add(digest);
        _chainBase = snapshot.Metadata.Index;
    }

    /// <summary>Persists entries (replacing any conflicting suffix) and extends the digest chain.</summary>
    public void PersistEntries(ReadOnlySpan<Entry> entries)
    {
        // Entries at or below the compaction point are already covered by the snapshot.
        while (!entries.IsEmpty && entries[0].Index <= _chainBase)
        {
            entries = entries[1..];
        }
        if (entries.IsEmpty)
        {
            return;
        }
        Storage.Append(entries);
        var keep = (int)(entries[0].Index - _chainBase);
        _chain.RemoveRange(keep, _chain.Count - keep);
        foreach (var entry in entries)
        {
            _chain.Add(Digest.Chain(_chain[^1], entry));
        }
    }

    /// <summary>Snapshots the state machine at its applied index and drops log entries up to
    /// <paramref name="compactTo"/> (at most the snapshot index).</summary>
    public void Compact(ulong compactTo)
    {
        var index = StateMachine.AppliedIndex;
        if (index <= Storage.Snapshot()!.Metadata.Index)
        {
            return;
        }
        Storage.CreateSnapshot(index, Node.ConfState, StateMachine.Encode(ChainAt(index)));
        compactTo = Math.Min(compactTo, index);
        if (compactTo < Storage.FirstIndex)
        {
            return;
        }
        Storage.Compact(compactTo);
        var drop = (int)(compactTo - _chainBase);
        _chain.RemoveRange(0, drop);
        _chainBase = compactTo;
    }
}

/// <summary>One Ready's write, in flight: its entries (copied), hard state, and the messages that wait for it.</summary>
internal sealed record PendingWrite(Entry[] Entries, HardState? HardState, List<Message> AfterPersist);
