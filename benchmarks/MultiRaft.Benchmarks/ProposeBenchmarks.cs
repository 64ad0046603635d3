using BenchmarkDotNet.Attributes;

namespace MultiRaft.Benchmarks;

/// <summary>
/// Throughput of the consensus core: a 3-node group with in-memory transport and storage commits and applies
/// batches of 64-byte proposals. One operation is one proposal, proposed on the leader and applied there
/// after a majority stored it. Allocation per operation shows what each proposal costs the GC beyond its
/// command buffer (which is preallocated here, as a host would pool it).
/// </summary>
[MemoryDiagnoser]
public class ProposeBenchmarks
{
    private const int CommandBytes = 64;

    private InMemoryGroup _group = null!;
    private ReadOnlyMemory<byte>[] _commands = [];

    [GlobalSetup]
    public void Setup()
    {
        _group = new InMemoryGroup(3);
        _commands = new ReadOnlyMemory<byte>[1024];
        for (var i = 0; i < _commands.Length; i++)
        {
            var command = new byte[CommandBytes];
            command[0] = (byte)i;
            _commands[i] = command;
        }
    }

    /// <summary>No batching: every proposal waits for its own round of replication.</summary>
    [Benchmark(OperationsPerInvoke = 1)]
    public long Unbatched() => ProposeAndCommit(1);

    [Benchmark(OperationsPerInvoke = 64)]
    public long Batch64() => ProposeAndCommit(64);

    [Benchmark(OperationsPerInvoke = 1024)]
    public long Batch1024() => ProposeAndCommit(1024);

    private long ProposeAndCommit(int batch)
    {
        var before = _group.AppliedOnLeader;
        for (var i = 0; i < batch; i++)
        {
            if (!_group.Leader.Propose(_commands[i]).IsAccepted)
            {
                throw new InvalidOperationException("proposal refused");
            }
        }
        _group.RunUntilQuiet();
        var applied = _group.AppliedOnLeader - before;
        if (applied != batch)
        {
            throw new InvalidOperationException($"applied {applied} of {batch}");
        }
        return applied;
    }
}
