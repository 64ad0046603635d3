using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Storage.Kv;
using MultiRaft.Store.Commands;
using MultiRaft.Store.Peers;
using MultiRaft.Store.Regions;

namespace MultiRaft.Store.Apply;

/// <summary>
/// Carries out an applied split on this store: the new regions' logs first (durable), then their KV records
/// with the original's new range in the round's batch, then their peers. No data moves: the keys already sit
/// in the KV engine, the new regions simply own them now. The store that led the original region campaigns
/// for the new ones at once, so their leaders start where the load already was, and tells PD.
/// A new region this store already knows is left as it is: a replica of it created here for its leader's
/// snapshot (this peer caught up from a snapshot taken before the split), or its tombstone. Starting it
/// afresh would overwrite that peer's log and vote, or bring a removed replica back.
/// </summary>
internal sealed class SplitExecutor(PeerFactory factory, PeerRegistry peers, EarlyMessages early, Action<RegionInfo[]> reportSplit)
{
    /// <summary>The regions a split makes and those of them this store starts.</summary>
    public sealed record Prepared(RegionLocalState[] Regions, List<RegionLocalState> StartedHere);

    /// <summary>The updated original and the new regions, the logs of those that start here written; null with
    /// the reason when the command does not fit the region.</summary>
    public Prepared? Prepare(Peer parent, SplitCommand split, out RegionError? error)
    {
        var regions = SplitPlanner.Plan(parent.Region, split, out error);
        if (regions is null)
        {
            return null;
        }
        var startedHere = regions.Skip(1).Where(r => !peers.Knows(r.RegionId) && !factory.HasState(r.RegionId)).ToList();
        if (startedHere.Count > 0)
        {
            factory.WriteInitialLogs(startedHere); // One fsync; none when every new region is known here.
        }
        return new Prepared(regions, startedHere);
    }

    public static void AddToBatch(KvWriteBatch batch, Prepared split)
    {
        batch.SetRegionState(split.Regions[0]);
        foreach (var region in split.StartedHere)
        {
            PeerFactory.AddInitialState(batch, region);
        }
    }

    /// <summary>After the batch is written: the original takes its new range, the new peers start.</summary>
    public RegionInfo[] Start(Peer parent, Prepared split)
    {
        parent.Region = split.Regions[0];
        parent.HeartbeatDue = true;
        foreach (var region in split.StartedHere)
        {
            if (factory.Open(region, brandNew: true) is { } peer && peers.TryAdd(peer))
            {
                if (parent.IsLeader)
                {
                    peer.Post(new PeerInput(PeerInputKind.Campaign));
                }
                early.Deliver(peer);
                peer.TrySchedule();
            }
        }
        var infos = Array.ConvertAll(split.Regions, r => r.ToInfo());
        if (parent.IsLeader)
        {
            reportSplit(infos);
        }
        return infos;
    }
}
