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
/// </summary>
internal sealed class SplitExecutor(PeerFactory factory, PeerRegistry peers, EarlyMessages early, Action<RegionInfo[]> reportSplit)
{
    /// <summary>The updated original and the new regions, their logs written; null with the reason when the
    /// command does not fit the region.</summary>
    public RegionLocalState[]? Prepare(Peer parent, SplitCommand split, out RegionError? error)
    {
        var regions = SplitPlanner.Plan(parent.Region, split, out error);
        if (regions is not null)
        {
            factory.WriteInitialLogs(regions.Skip(1));
        }
        return regions;
    }

    public static void AddToBatch(KvWriteBatch batch, RegionLocalState[] regions)
    {
        batch.SetRegionState(regions[0]);
        foreach (var region in regions.AsSpan(1))
        {
            PeerFactory.AddInitialState(batch, region);
        }
    }

    /// <summary>After the batch is written: the original takes its new range, the new peers start.</summary>
    public RegionInfo[] Start(Peer parent, RegionLocalState[] regions)
    {
        parent.Region = regions[0];
        parent.HeartbeatDue = true;
        foreach (var region in regions.AsSpan(1))
        {
            if (factory.Open(region, justSplit: true) is { } peer && peers.TryAdd(peer))
            {
                if (parent.IsLeader)
                {
                    peer.Post(new PeerInput(PeerInputKind.Campaign));
                }
                early.Deliver(peer);
                peer.TrySchedule();
            }
        }
        var infos = Array.ConvertAll(regions, r => r.ToInfo());
        if (parent.IsLeader)
        {
            reportSplit(infos);
        }
        return infos;
    }
}
