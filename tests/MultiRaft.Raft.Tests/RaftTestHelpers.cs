using System.Text;

namespace MultiRaft.Raft.Tests;

/// <summary>Small helpers shared by the snapshot, read, transfer, membership and trap tests.</summary>
internal static class RaftTestHelpers
{
    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static string Text(ReadOnlyMemory<byte> data) => Encoding.UTF8.GetString(data.Span);

    public static RaftConfig NoLease(RaftConfig config) => config with { LeaseRead = false };

    /// <summary>What a host does to compact: snapshot the state machine as of the applied index (the data is
    /// the applied commands so far, comma-separated) with the configuration as of that index, then drop the
    /// log up to it.</summary>
    public static Snapshot CompactToApplied(this TestPeer peer)
    {
        var index = peer.Node.AppliedIndex;
        var snapshot = peer.Storage.CreateSnapshot(index, peer.Node.ConfState, Bytes(string.Join(',', peer.AppliedCommands)));
        peer.Storage.Compact(index);
        return snapshot;
    }

    /// <summary>Proposes each command on <paramref name="peer"/> (which must lead) and runs the group until quiet.</summary>
    public static void ProposeAll(this TestCluster cluster, TestPeer peer, params string[] commands)
    {
        foreach (var command in commands)
        {
            Assert.Equal(ProposalStatus.Accepted, peer.Propose(command).Status);
        }
        cluster.Deliver();
    }

    /// <summary>Stored entries of a peer in [lo, hi).</summary>
    public static Entry[] StoredEntries(this TestPeer peer, ulong lo, ulong hi)
    {
        var into = new List<Entry>();
        Assert.Equal(LogRead.Ok, peer.Storage.Entries(lo, hi, long.MaxValue, into));
        return [.. into];
    }

    public static ulong StoredTerm(this MemoryStorage storage, ulong index)
    {
        Assert.Equal(LogRead.Ok, storage.Term(index, out var term));
        return term;
    }

    public static RaftNode NewNode(ulong id, MemoryStorage storage, Func<RaftConfig, RaftConfig>? configure = null)
    {
        var config = new RaftConfig { Id = id, Storage = storage, Random = new Random(7 + (int)id) };
        return new RaftNode(configure?.Invoke(config) ?? config);
    }

    public static ConfState Voters(params ulong[] ids) => ConfState.OfVoters(ids);

    /// <summary>A 3-node group whose leader, node 1, has committed an entry of its term and holds a valid lease.</summary>
    public static TestCluster WithLeaseHolder(out TestPeer leader)
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.ProposeAll(cluster[1], "a");
        cluster.TickAll(2);
        leader = cluster[1];
        Assert.True(leader.Node.HasValidLease);
        return cluster;
    }

    /// <summary>What every host does first with a Ready: make its snapshot, entries and hard state durable.</summary>
    public static void Persist(this MemoryStorage storage, Ready ready)
    {
        if (ready.Snapshot is { } snapshot)
        {
            storage.ApplySnapshot(snapshot);
        }
        storage.Append(ready.Entries);
        if (ready.HardState is { } hard)
        {
            storage.SetHardState(hard);
        }
    }
}
