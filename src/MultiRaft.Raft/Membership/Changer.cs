using MultiRaft.Raft.Quorum;
using MultiRaft.Raft.Tracker;

namespace MultiRaft.Raft.Membership;

/// <summary>
/// Computes the configuration that a change produces, without touching the live tracker: the result is a
/// new config and progress map that the node switches to in one step (it then derives each progress's
/// learner flag from the config). Existing progress objects are shared but never modified here, so an invalid
/// change, which throws <see cref="ConfChangeException"/>, leaves everything as it was.
/// </summary>
internal sealed class Changer
{
    private readonly ProgressTracker _tracker;
    private readonly ulong _lastIndex;

    public Changer(ProgressTracker tracker, ulong lastIndex)
    {
        _tracker = tracker;
        _lastIndex = lastIndex;
    }

    /// <summary>Enters a joint configuration: the current voters become the outgoing half and the changes
    /// apply to the incoming half.</summary>
    public (TrackerConfig, Dictionary<ulong, Progress>) EnterJoint(bool autoLeave, ConfChangeSingle[] changes)
    {
        var (config, progress) = CheckAndCopy();
        if (config.Voters.IsJoint)
        {
            throw new ConfChangeException("configuration is already joint");
        }
        if (config.Voters.Incoming.Count == 0)
        {
            throw new ConfChangeException("cannot make a zero-voter configuration joint");
        }
        foreach (var id in config.Voters.Incoming)
        {
            config.Voters.Outgoing.Add(id);
        }
        Apply(config, progress, changes);
        config.AutoLeave = autoLeave;
        return CheckAndReturn(config, progress);
    }

    /// <summary>Leaves the joint configuration: the outgoing half is dropped, learners-next become learners,
    /// and peers in neither half nor the learners are removed.</summary>
    public (TrackerConfig, Dictionary<ulong, Progress>) LeaveJoint()
    {
        var (config, progress) = CheckAndCopy();
        if (!config.Voters.IsJoint)
        {
            throw new ConfChangeException("cannot leave a non-joint configuration");
        }
        foreach (var id in config.LearnersNext)
        {
            config.Learners.Add(id);
        }
        config.LearnersNext.Clear();
        foreach (var id in config.Voters.Outgoing)
        {
            if (!config.Voters.Incoming.Contains(id) && !config.Learners.Contains(id))
            {
                progress.Remove(id);
            }
        }
        config.Voters.Outgoing.Clear();
        config.AutoLeave = false;
        return CheckAndReturn(config, progress);
    }

    /// <summary>A change that alters at most one voter, applied directly (any two majorities of the old and
    /// new configuration still overlap).</summary>
    public (TrackerConfig, Dictionary<ulong, Progress>) Simple(ConfChangeSingle[] changes)
    {
        var (config, progress) = CheckAndCopy();
        if (config.Voters.IsJoint)
        {
            throw new ConfChangeException("cannot apply a simple change to a joint configuration");
        }
        var before = config.Voters.Incoming.ToArray();
        Apply(config, progress, changes);
        var after = config.Voters.Incoming;
        var differing = 0;
        foreach (var id in before)
        {
            if (!after.Contains(id))
            {
                differing++;
            }
        }
        foreach (var id in after)
        {
            if (Array.IndexOf(before, id) < 0)
            {
                differing++;
            }
        }
        if (differing > 1)
        {
            throw new ConfChangeException("more than one voter changed without a joint configuration");
        }
        return CheckAndReturn(config, progress);
    }

    private void Apply(TrackerConfig config, Dictionary<ulong, Progress> progress, ConfChangeSingle[] changes)
    {
        foreach (var change in changes)
        {
            if (change.NodeId == 0)
            {
                continue; // etcd's convention: id 0 is a no-op change.
            }
            switch (change.Type)
            {
                case ConfChangeType.AddVoter:
                    MakeVoter(config, progress, change.NodeId);
                    break;
                case ConfChangeType.AddLearner:
                    MakeLearner(config, progress, change.NodeId);
                    break;
                case ConfChangeType.RemoveNode:
                    Remove(config, progress, change.NodeId);
                    break;
                default:
                    throw new ConfChangeException($"unknown change type {change.Type}");
            }
        }
        if (config.Voters.Incoming.Count == 0)
        {
            throw new ConfChangeException("removed all voters");
        }
    }

    private void MakeVoter(TrackerConfig config, Dictionary<ulong, Progress> progress, ulong id)
    {
        if (!progress.ContainsKey(id))
        {
            InitProgress(config, progress, id, isLearner: false);
            return;
        }
        config.Learners.Remove(id);
        config.LearnersNext.Remove(id);
        config.Voters.Incoming.Add(id);
    }

    private void MakeLearner(TrackerConfig config, Dictionary<ulong, Progress> progress, ulong id)
    {
        if (!progress.TryGetValue(id, out var pr))
        {
            InitProgress(config, progress, id, isLearner: true);
            return;
        }
        if (config.Learners.Contains(id))
        {
            return;
        }
        // Demoting a voter: drop it from the incoming voters; if it is still an outgoing voter it can only
        // become a learner once the joint configuration is left.
        Remove(config, progress, id);
        progress[id] = pr;
        if (config.Voters.Outgoing.Contains(id))
        {
            config.LearnersNext.Add(id);
        }
        else
        {
            config.Learners.Add(id);
        }
    }

    private static void Remove(TrackerConfig config, Dictionary<ulong, Progress> progress, ulong id)
    {
        if (!progress.ContainsKey(id))
        {
            return;
        }
        config.Voters.Incoming.Remove(id);
        config.Learners.Remove(id);
        config.LearnersNext.Remove(id);
        // An outgoing voter keeps its progress until the joint configuration is left.
        if (!config.Voters.Outgoing.Contains(id))
        {
            progress.Remove(id);
        }
    }

    private void InitProgress(TrackerConfig config, Dictionary<ulong, Progress> progress, ulong id, bool isLearner)
    {
        if (isLearner)
        {
            config.Learners.Add(id);
        }
        else
        {
            config.Voters.Incoming.Add(id);
        }
        // Start probing at the leader's last index; the first response finds the real matching point.
        // RecentActive so that CheckQuorum does not step the leader down right after adding a peer.
        progress[id] = new Progress(Math.Max(_lastIndex, 1), _tracker.MaxInflight, _tracker.MaxInflightBytes, isLearner)
        {
            RecentActive = true,
        };
    }

    private (TrackerConfig, Dictionary<ulong, Progress>) CheckAndCopy()
    {
        var config = _tracker.Config.Clone();
        var progress = new Dictionary<ulong, Progress>(_tracker.Progress);
        Check(config, progress);
        return (config, progress);
    }

    private static (TrackerConfig, Dictionary<ulong, Progress>) CheckAndReturn(TrackerConfig config, Dictionary<ulong, Progress> progress)
    {
        Check(config, progress);
        return (config, progress);
    }

    /// <summary>The invariants of a configuration; a violation is a bug in the changer, not bad input.</summary>
    private static void Check(TrackerConfig config, Dictionary<ulong, Progress> progress)
    {
        foreach (var id in config.Voters.Ids())
        {
            if (!progress.ContainsKey(id))
            {
                throw new ConfChangeException($"no progress for voter {id}");
            }
        }
        foreach (var id in config.Learners)
        {
            if (!progress.ContainsKey(id))
            {
                throw new ConfChangeException($"no progress for learner {id}");
            }
            if (config.Voters.Contains(id))
            {
                throw new ConfChangeException($"{id} is both learner and voter");
            }
        }
        foreach (var id in config.LearnersNext)
        {
            if (!config.Voters.Outgoing.Contains(id))
            {
                throw new ConfChangeException($"learner-next {id} is not an outgoing voter");
            }
        }
        if (!config.Voters.IsJoint && (config.LearnersNext.Count > 0 || config.AutoLeave))
        {
            throw new ConfChangeException("non-joint configuration with learners-next or auto-leave");
        }
    }
}
