namespace MultiRaft.Cli.Bench;

/// <summary>What one benchmark request does.</summary>
internal enum BenchOperation
{
    /// <summary>Get of an existing key.</summary>
    Read,

    /// <summary>Put over an existing key.</summary>
    Update,

    /// <summary>Put of a key never written before (the load phase).</summary>
    Insert,

    /// <summary>Get, then Put of the same key (YCSB F); timed as one operation.</summary>
    ReadModifyWrite,

    /// <summary>A transaction that moves money between two accounts: begin, read both, write both, commit.</summary>
    Transfer,

    /// <summary>The commit of a transfer (prewrite, commit timestamp, primary's commit): a phase timed on its
    /// own inside <see cref="Transfer"/>, never counted as an operation.</summary>
    Commit,
}

/// <summary>A named mix of operations, after the YCSB core workloads (A: update heavy, B: read mostly, C: read
/// only, F: read-modify-write, load: inserts) plus plain write, read and mixed loads, and transfers between
/// accounts in transactions.</summary>
internal sealed class BenchWorkload
{
    private readonly (BenchOperation Operation, double Share)[] _mix;

    private BenchWorkload(string name, string description, params (BenchOperation, double)[] mix)
    {
        Name = name;
        Description = description;
        _mix = mix;
    }

    public static readonly BenchWorkload[] All =
    [
        new("write", "100% updates", (BenchOperation.Update, 1)),
        new("read", "100% reads of loaded keys", (BenchOperation.Read, 1)),
        new("mixed", "70% reads, 30% updates", (BenchOperation.Read, 0.7), (BenchOperation.Update, 0.3)),
        new("ycsb-a", "YCSB A: 50% reads, 50% updates", (BenchOperation.Read, 0.5), (BenchOperation.Update, 0.5)),
        new("ycsb-b", "YCSB B: 95% reads, 5% updates", (BenchOperation.Read, 0.95), (BenchOperation.Update, 0.05)),
        new("ycsb-c", "YCSB C: 100% reads", (BenchOperation.Read, 1)),
        new("ycsb-f", "YCSB F: 50% reads, 50% read-modify-writes", (BenchOperation.Read, 0.5), (BenchOperation.ReadModifyWrite, 0.5)),
        new("load", "YCSB load: 100% inserts of new keys", (BenchOperation.Insert, 1)),
        new("txn", "transactions moving money between two accounts", (BenchOperation.Transfer, 1)) { Phases = [BenchOperation.Commit] },
    ];

    public string Name { get; }

    public string Description { get; }

    /// <summary>The operations this workload issues (for reporting each one).</summary>
    public IEnumerable<BenchOperation> Operations => _mix.Select(m => m.Operation);

    /// <summary>Parts of an operation timed on their own: reported beside the operations, not counted as ones.</summary>
    public IReadOnlyList<BenchOperation> Phases { get; private init; } = [];

    /// <summary>Whether the keys must exist before the run (anything that reads them).</summary>
    public bool ReadsExistingKeys => _mix.Any(m => m.Operation is BenchOperation.Read or BenchOperation.ReadModifyWrite or BenchOperation.Transfer);

    /// <summary>Whether the keys are transactional ones (loaded and used through transactions, a key space of
    /// their own).</summary>
    public bool Transactional => _mix.Any(m => m.Operation == BenchOperation.Transfer);

    public static BenchWorkload Parse(string name) =>
        Array.Find(All, w => w.Name == name)
        ?? throw new ArgumentException($"--workload must be one of {string.Join(", ", All.Select(w => w.Name))}, not '{name}'");

    /// <summary>The next operation, by the mix's shares.</summary>
    public BenchOperation Next(Random random)
    {
        var roll = random.NextDouble();
        foreach (var (operation, share) in _mix)
        {
            if (roll < share)
            {
                return operation;
            }
            roll -= share;
        }
        return _mix[^1].Operation;
    }
}
