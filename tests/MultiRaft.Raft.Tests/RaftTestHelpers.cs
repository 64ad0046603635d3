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

    /// <summary>Drives a node the way <see cref="TestPeer.HandleReady"/> does (persist, apply conf changes,
    /// advance) and returns every message it emitted.</summary>
    public static List<Message> Drain(RaftNode node, MemoryStorage storage)
    {
        var messages = new List<Message>();
        while (node.HasReady)
        {
            var ready = node.GetReady();
            if (ready.Snapshot is { } snapshot)
            {
                storage.ApplySnapshot(snapshot);
            }
            storage.Append(ready.Entries);
            if (ready.HardState is { } hard)
            {
                storage.SetHardState(hard);
            }
            foreach (var entry in ready.CommittedEntries)
            {
                if (entry.Type == EntryType.ConfChange)
                {
                    node.ApplyConfChange(ConfChange.Decode(entry.Data.Span));
                }
            }
            messages.AddRange(ready.Messages);
            messages.AddRange(ready.MessagesAfterPersist);
            node.Advance(ready);
        }
        return messages;
    }

    public static RaftNode NewNode(ulong id, MemoryStorage storage, Func<RaftConfig, RaftConfig>? configure = null)
    {
        var config = new RaftConfig { Id = id, Storage = storage, Random = new Random(7 + (int)id) };
        return new RaftNode(configure?.Invoke(config) ?? config);
    }

    public static ConfState Voters(params ulong[] ids) => ConfState.OfVoters(ids);
}
