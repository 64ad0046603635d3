using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Pd;

namespace MultiRaft.PlacementDriver.Scheduling;

public enum OperatorKind
{
    /// <summary>Split the region (by size, key count or load).</summary>
    Split,

    /// <summary>Hand leadership to another voter.</summary>
    TransferLeader,

    /// <summary>Move a replica: add a learner on the target, swap it in for the source (or promote it), remove the source peer.</summary>
    MovePeer,

    /// <summary>Replace a replica on a down store, or add a missing one.</summary>
    RepairReplica,

    /// <summary>Remove a replica the region does not need (an extra voter, a learner left behind).</summary>
    RemoveReplica,
}

public enum OperatorState
{
    Running,
    Finished,
    Cancelled,
    TimedOut,
}

/// <summary>One step of an operator: what the leader is told to do, and how a heartbeat shows it took effect.</summary>
public abstract record OperatorAction
{
    /// <summary>Whether the reported region (and leader) show this step done. <paramref name="baseline"/> is the
    /// region's epoch when the step began.</summary>
    public abstract bool IsDone(RegionInfo region, PeerInfo leader, EpochInfo baseline);

    /// <summary>The step as sent to <paramref name="leader"/>, for the region as it stands now.</summary>
    public abstract OperatorStep ToStep(RegionInfo region, PeerInfo leader);

    /// <summary>What kind of timeout applies while this step runs.</summary>
    internal virtual bool IsLeaderTransfer => false;
}

public sealed record AddLearnerAction(PeerInfo Peer) : OperatorAction
{
    public override bool IsDone(RegionInfo region, PeerInfo leader, EpochInfo baseline) => region.PeerById(Peer.Id) is not null;

    public override OperatorStep ToStep(RegionInfo region, PeerInfo leader) =>
        new(region.Id, region.Epoch, null, Peer with { IsLearner = true }, null, null, null);

    public override string ToString() => $"add learner {Peer.Id} on store {Peer.StoreId}";
}

public sealed record PromoteLearnerAction(PeerInfo Peer) : OperatorAction
{
    public override bool IsDone(RegionInfo region, PeerInfo leader, EpochInfo baseline) => region.PeerById(Peer.Id) is { IsLearner: false };

    public override OperatorStep ToStep(RegionInfo region, PeerInfo leader) =>
        new(region.Id, region.Epoch, null, null, Peer with { IsLearner = true }, null, null);

    public override string ToString() => $"promote learner {Peer.Id} on store {Peer.StoreId}";
}

/// <summary>Learner <see cref="Learner"/> becomes a voter and voter <see cref="Demoted"/> a learner in one
/// joint-consensus change. A leader cannot demote itself: while <see cref="Demoted"/> leads, the step is to hand
/// leadership to another voter first.</summary>
public sealed record SwapVoterAction(PeerInfo Learner, PeerInfo Demoted) : OperatorAction
{
    public override bool IsDone(RegionInfo region, PeerInfo leader, EpochInfo baseline) =>
        region.PeerById(Learner.Id) is { IsLearner: false } && region.PeerById(Demoted.Id) is not { IsLearner: false };

    public override OperatorStep ToStep(RegionInfo region, PeerInfo leader)
    {
        if (leader.Id == Demoted.Id && Array.Find(region.Peers, p => !p.IsLearner && p.Id != Demoted.Id) is { Id: > 0 } heir)
        {
            return new(region.Id, region.Epoch, heir.Id, null, null, null, null);
        }
        return new(region.Id, region.Epoch, null, null, null, null, null, new SwapVoterStep(Learner with { IsLearner = true }, Demoted));
    }

    public override string ToString() => $"swap learner {Learner.Id} on store {Learner.StoreId} in for voter {Demoted.Id} on store {Demoted.StoreId}";
}

public sealed record RemovePeerAction(PeerInfo Peer) : OperatorAction
{
    public override bool IsDone(RegionInfo region, PeerInfo leader, EpochInfo baseline) => region.PeerById(Peer.Id) is null;

    public override OperatorStep ToStep(RegionInfo region, PeerInfo leader) =>
        new(region.Id, region.Epoch, null, null, null, region.PeerById(Peer.Id) ?? Peer, null);

    public override string ToString() => $"remove peer {Peer.Id} on store {Peer.StoreId}";
}

public sealed record TransferLeaderAction(PeerInfo To) : OperatorAction
{
    public override bool IsDone(RegionInfo region, PeerInfo leader, EpochInfo baseline) => leader.Id == To.Id;

    public override OperatorStep ToStep(RegionInfo region, PeerInfo leader) => new(region.Id, region.Epoch, To.Id, null, null, null, null);

    internal override bool IsLeaderTransfer => true;

    public override string ToString() => $"transfer leader to peer {To.Id} on store {To.StoreId}";
}

/// <summary>Split at <see cref="Keys"/> (empty: the store picks the middle key, and allocates the new ids).</summary>
public sealed record SplitAction(byte[][] Keys) : OperatorAction
{
    public override bool IsDone(RegionInfo region, PeerInfo leader, EpochInfo baseline) => region.Epoch.Version > baseline.Version;

    public override OperatorStep ToStep(RegionInfo region, PeerInfo leader) => new(region.Id, region.Epoch, null, null, null, null, new SplitStep(Keys, [], []));

    public override string ToString() => Keys.Length == 0 ? "split at the middle key" : $"split at {KeyText.Show(Keys[0])}";
}

/// <summary>
/// One scheduling decision for one region: its steps, who made it and why. Progress (the current step, the
/// epoch the step began at, the state) is changed only by the <see cref="OperatorController"/>, under its lock.
/// </summary>
public sealed class Operator
{
    public Operator(RegionInfo region, OperatorKind kind, string scheduler, string reason, IReadOnlyList<OperatorAction> actions)
    {
        ArgumentNullException.ThrowIfNull(region);
        ArgumentException.ThrowIfNullOrWhiteSpace(scheduler);
        ArgumentNullException.ThrowIfNull(actions);
        if (actions.Count == 0)
        {
            throw new ArgumentException("an operator needs at least one step", nameof(actions));
        }
        RegionId = region.Id;
        StartEpoch = region.Epoch;
        Baseline = region.Epoch;
        Kind = kind;
        Scheduler = scheduler;
        Reason = reason;
        Actions = actions;
        foreach (var action in actions)
        {
            switch (action)
            {
                case AddLearnerAction add:
                    AddsOn.Add(add.Peer.StoreId);
                    break;
                case RemovePeerAction remove:
                    RemovesFrom.Add(remove.Peer.StoreId);
                    break;
                case TransferLeaderAction transfer:
                    LeaderTo = transfer.To.StoreId;
                    break;
            }
        }
    }

    public long Id { get; internal set; }

    public ulong RegionId { get; }

    public EpochInfo StartEpoch { get; }

    public OperatorKind Kind { get; }

    public string Scheduler { get; }

    public string Reason { get; }

    public IReadOnlyList<OperatorAction> Actions { get; }

    /// <summary>Stores that gain a replica (for the per-store limits).</summary>
    public List<ulong> AddsOn { get; } = [];

    /// <summary>Stores that lose a replica.</summary>
    public List<ulong> RemovesFrom { get; } = [];

    /// <summary>The store that gains the leader, for a leader transfer.</summary>
    public ulong? LeaderTo { get; }

    internal int Current { get; set; }

    internal EpochInfo Baseline { get; set; }

    internal DateTimeOffset Created { get; set; }

    internal DateTimeOffset StepStarted { get; set; }

    internal OperatorState State { get; set; }

    internal string? Outcome { get; set; }

    internal DateTimeOffset? Ended { get; set; }

    /// <summary>Moves leadership to the voter <paramref name="to"/>.</summary>
    public static Operator TransferLeader(RegionInfo region, PeerInfo to, string scheduler, string reason) =>
        new(region, OperatorKind.TransferLeader, scheduler, reason, [new TransferLeaderAction(to)]);

    /// <summary>Moves the replica <paramref name="source"/> to <paramref name="target"/> (a new peer id on
    /// another store): add it as a learner, swap it in for the source voter through a joint configuration (so the
    /// region never has an even number of voters), remove the source. Where the source is a learner or the only
    /// voter there is nothing to swap with: the learner is promoted instead.</summary>
    public static Operator MovePeer(RegionInfo region, PeerInfo source, PeerInfo target, string scheduler, string reason, OperatorKind kind = OperatorKind.MovePeer)
    {
        var learner = target with { IsLearner = true };
        OperatorAction takeOver = !source.IsLearner && region.Peers.Count(p => !p.IsLearner) >= 2
            ? new SwapVoterAction(learner, source)
            : new PromoteLearnerAction(learner);
        return new(region, kind, scheduler, reason, [new AddLearnerAction(learner), takeOver, new RemovePeerAction(source)]);
    }

    /// <summary>Adds a voter: a learner, then its promotion.</summary>
    public static Operator AddReplica(RegionInfo region, PeerInfo target, string scheduler, string reason) =>
        new(region, OperatorKind.RepairReplica, scheduler, reason,
            [new AddLearnerAction(target with { IsLearner = true }), new PromoteLearnerAction(target with { IsLearner = true })]);

    public static Operator RemoveReplica(RegionInfo region, PeerInfo peer, string scheduler, string reason) =>
        new(region, OperatorKind.RemoveReplica, scheduler, reason, [new RemovePeerAction(peer)]);

    /// <summary>Splits at <paramref name="keys"/> (none: at the region's middle key, which the store picks).</summary>
    public static Operator Split(RegionInfo region, byte[][] keys, string scheduler, string reason) =>
        new(region, OperatorKind.Split, scheduler, reason, [new SplitAction(keys)]);

    /// <summary>A copy of what it is and where it stands, for an API to show.</summary>
    internal OperatorView View() => new(Id, RegionId, Kind, Scheduler, Reason, Steps(), Current, State, Outcome, Created, Ended);

    /// <summary>What it would do, for an operator a dry run proposed (it has no id, state or times).</summary>
    public PlannedOperatorView PlannedView() => new(RegionId, Kind, Scheduler, Reason, Steps());

    private string[] Steps()
    {
        var steps = new string[Actions.Count];
        for (var i = 0; i < steps.Length; i++)
        {
            steps[i] = Actions[i].ToString()!;
        }
        return steps;
    }

    public override string ToString() => $"operator {Id} ({Kind} of region {RegionId} by {Scheduler}: {Reason})";
}

/// <summary>An operator as an API shows it: its steps (as text), the step it is at, its state and, once it
/// ended, why.</summary>
public sealed record OperatorView(
    long Id,
    ulong RegionId,
    OperatorKind Kind,
    string Scheduler,
    string Reason,
    string[] Steps,
    int CurrentStep,
    OperatorState State,
    string? Outcome,
    DateTimeOffset CreatedAt,
    DateTimeOffset? EndedAt);

/// <summary>An operator a dry run proposed: what it would do and why.</summary>
public sealed record PlannedOperatorView(ulong RegionId, OperatorKind Kind, string Scheduler, string Reason, string[] Steps);

/// <summary>Keys as text in logs and views: UTF-8 when printable, hex otherwise.</summary>
internal static class KeyText
{
    public static string Show(byte[] key)
    {
        foreach (var b in key)
        {
            if (b is < 0x20 or > 0x7e)
            {
                return "0x" + Convert.ToHexString(key);
            }
        }
        return System.Text.Encoding.ASCII.GetString(key);
    }
}
