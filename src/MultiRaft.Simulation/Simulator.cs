using System.Buffers.Binary;
using MultiRaft.Raft;

namespace MultiRaft.Simulation;

/// <summary>
/// Runs one Raft group through a seeded schedule of client requests, membership changes, leader transfers,
/// compactions and faults (lossy, reordering network; partitions; crashes that lose unpersisted state),
/// checking every safety property after every step. Then it heals everything and requires that every
/// acknowledged write reaches every member within a deadline. The same seed replays exactly.
/// </summary>
public sealed class Simulator
{
    private const int ExtraPeers = 4;

    private readonly int _seed;
    private readonly Scenario _scenario;
    private readonly SimulationSettings _settings;
    private readonly Random _random;
    private readonly SimNetwork _network;
    private readonly SortedDictionary<ulong, SimNode> _nodes = [];
    private readonly InvariantChecker _checker = new();
    private readonly Queue<string>? _trace;
    private readonly ulong _maxId;
    private readonly int _initialNodes;
    private ulong _nextId;
    private ulong _writes;
    private ulong _reads;
    private long _now;
    private bool _chaos = true;
    private readonly Random _applyTiming;
    private readonly Random _writeTiming;

    private Simulator(int seed, SimulationSettings settings)
    {
        _seed = seed;
        _settings = settings;
        (_scenario, var nodes) = settings.Resolve(seed);
        _initialNodes = nodes;
        _random = new Random(seed);
        // A stream of its own, so the schedule the main stream drives stays what it was for a seed.
        _applyTiming = new Random(unchecked((seed * 7919) + 17));
        _writeTiming = new Random(unchecked((seed * 7927) + 29));
        _network = new SimNetwork(_random) { Faults = _scenario };
        _trace = settings.Trace ? new Queue<string>() : null;
        var voters = new ulong[nodes];
        for (var i = 0; i < nodes; i++)
        {
            voters[i] = (ulong)i + 1;
        }
        foreach (var id in voters)
        {
            _nodes[id] = SimNode.Bootstrap(id, voters, seed, appliesLater: _applyTiming.Next(2) == 0, writesLater: _writeTiming.Next(2) == 0);
        }
        _nextId = (ulong)nodes + 1;
        _maxId = (ulong)(nodes + ExtraPeers);
    }

    public static SimulationResult Run(int seed, SimulationSettings? settings = null) => new Simulator(seed, settings ?? new SimulationSettings()).Run();

    private SimulationResult Run()
    {
        string? violation = null;
        try
        {
            for (; _now < _scenario.ChaosTime; _now++)
            {
                Step();
            }
            HealEverything();
            var deadline = _now + _scenario.HealDeadline;
            while (!Converged())
            {
                if (_now >= deadline)
                {
                    throw new SimulationViolationException($"liveness: {_scenario.HealDeadline} ticks after healing, acknowledged writes up to index {_checker.MaxAcknowledgedIndex} are not applied on every member. {Describe()}");
                }
                Step();
                _now++;
            }
        }
        catch (SimulationViolationException e)
        {
            violation = e.Message;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or KeyNotFoundException or NullReferenceException or ArgumentOutOfRangeException or FormatException)
        {
            violation = $"a node failed at time {_now}: {e}";
        }
        var finalTerm = _nodes.Values.Where(n => n.Alive).Select(n => n.Node.Term).DefaultIfEmpty().Max();
        return new SimulationResult(_seed, _scenario.Name, _initialNodes, violation,
            _checker.Acknowledged.Count, _checker.ReadsServed, finalTerm, _trace is null ? [] : [.. _trace]);
    }

    private void Trace(string text)
    {
        if (_trace is null)
        {
            return;
        }
        _trace.Enqueue($"t={_now} {text}");
        while (_trace.Count > _settings.TraceLimit)
        {
            _trace.Dequeue();
        }
    }

    private void Step()
    {
        foreach (var message in _network.Due(_now, m => ReportSnapshotOutcome(m, delivered: false)))
        {
            if (_nodes.TryGetValue(message.To, out var target) && target.Alive)
            {
                Resume(target, "a message");
                Trace($"deliver {message}");
                target.Node.Step(message);
                ReportSnapshotOutcome(message, delivered: true);
            }
            else
            {
                ReportSnapshotOutcome(message, delivered: false);
            }
        }
        ProcessReadies();
        foreach (var node in _nodes.Values)
        {
            if (node.Alive && !node.Paused)
            {
                node.Node.Tick();
            }
        }
        ProcessReadies();
        if (_chaos)
        {
            ClientActions();
            Nemesis();
        }
        if (_random.NextDouble() < _scenario.CompactRate)
        {
            Compact();
        }
        ProcessReadies();
        PersistSome();
        ApplySome();
        _checker.CheckLeaders(_nodes.Values);
    }

    private static bool ChangesMembership(ReadOnlySpan<Entry> entries)
    {
        foreach (var entry in entries)
        {
            if (entry.Type == EntryType.ConfChange)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Nodes that write later make some of their oldest pending writes durable at random moments, as a
    /// log writer thread does.</summary>
    private void PersistSome()
    {
        foreach (var node in _nodes.Values)
        {
            if (node.Alive && node.PendingWrites.Count > 0 && _writeTiming.Next(2) == 0)
            {
                PersistPending(node, 1 + _writeTiming.Next(node.PendingWrites.Count));
                if (!node.Node.HasReady) // Else the node may hold a snapshot its storage does not have yet.
                {
                    _checker.CheckCommitted(node);
                }
            }
        }
    }

    private void PersistPending(SimNode node, int count)
    {
        for (; count > 0 && node.PendingWrites.Count > 0; count--)
        {
            var write = node.PendingWrites[0];
            node.PendingWrites.RemoveAt(0);
            Persist(node, write.Entries, write.HardState);
            foreach (var message in write.AfterPersist)
            {
                Send(message);
            }
            if (write.Entries.Length > 0)
            {
                node.Node.PersistedTo(write.Entries[^1].Index, write.Entries[^1].Term);
            }
            Trace($"node {node.Id} wrote {write.Entries.Length} entries durably");
        }
    }

    private void Persist(SimNode node, ReadOnlySpan<Entry> entries, HardState? hardState)
    {
        node.PersistEntries(entries);
        _checker.CheckPersisted(node, entries);
        if (hardState is { } hard)
        {
            node.Storage.SetHardState(hard);
        }
    }

    /// <summary>Nodes that apply later catch up at random moments, as apply workers do.</summary>
    private void ApplySome()
    {
        foreach (var node in _nodes.Values)
        {
            if (node.Alive && node.Unapplied.Count > 0 && _applyTiming.Next(3) == 0)
            {
                ApplyHandedOut(node);
            }
        }
    }

    private void ApplyHandedOut(SimNode node)
    {
        if (node.Unapplied.Count == 0)
        {
            return;
        }
        foreach (var entry in node.Unapplied)
        {
            Apply(node, entry);
        }
        node.Node.AppliedTo(node.Unapplied[^1].Index);
        node.Unapplied.Clear();
    }

    private void ClientActions()
    {
        if (_random.NextDouble() < _scenario.ProposeRate)
        {
            Propose();
        }
        if (_random.NextDouble() < _scenario.ReadRate)
        {
            Read();
        }
        if (_random.NextDouble() < _scenario.ConfChangeRate)
        {
            ChangeMembership();
        }
        if (_random.NextDouble() < _scenario.TransferRate)
        {
            Transfer();
        }
    }

    private void Nemesis()
    {
        if (_random.NextDouble() < _scenario.PartitionRate)
        {
            var ids = _nodes.Keys.ToList();
            if (_random.Next(2) == 0)
            {
                var side = _network.PartitionRandomly(ids);
                Trace($"partition: [{string.Join(',', side)}] | rest");
            }
            else
            {
                var from = ids[_random.Next(ids.Count)];
                var to = ids[_random.Next(ids.Count)];
                _network.CutOneWay(from, to);
                Trace($"cut one way {from}->{to}");
            }
        }
        if (_random.NextDouble() < _scenario.HealRate)
        {
            _network.Heal();
            Trace("network healed");
        }
        if (_random.NextDouble() < _scenario.CrashRate)
        {
            var live = _nodes.Values.Where(n => n.Alive).ToList();
            if (live.Count > 0)
            {
                Crash(live[_random.Next(live.Count)], "crash");
            }
        }
        if (_random.NextDouble() < _scenario.RestartRate)
        {
            var dead = _nodes.Values.Where(n => !n.Alive).ToList();
            if (dead.Count > 0)
            {
                Restart(dead[_random.Next(dead.Count)]);
            }
        }
        PauseOrResume();
    }

    /// <summary>Pauses and resumes ticks (hibernation). Draws nothing in scenarios without pauses, so their
    /// seeds keep the schedules they had before pauses existed.</summary>
    private void PauseOrResume()
    {
        if (_scenario.PauseRate == 0)
        {
            return;
        }
        if (_random.NextDouble() < _scenario.PauseRate)
        {
            var leader = Leader();
            if (leader is { Paused: false } && _random.Next(2) == 0)
            {
                // The case leases must survive: a leader that sleeps holding a fresh lease and is cut off, so
                // nothing wakes it while the others elect a leader and commit without it.
                leader.Pause();
                foreach (var other in _nodes.Keys.Where(id => id != leader.Id))
                {
                    _network.CutOneWay(leader.Id, other);
                    _network.CutOneWay(other, leader.Id);
                }
                Trace($"pause: leader {leader.Id} (term {leader.Node.Term}) stops ticking, cut off from the rest");
            }
            else if (_nodes.Values.Where(n => n.Alive && !n.Paused).ToList() is { Count: > 0 } ticking)
            {
                var node = ticking[_random.Next(ticking.Count)];
                node.Pause();
                Trace($"pause: node {node.Id} stops ticking ({node.Node.Role}, term {node.Node.Term})");
            }
        }
        if (_random.NextDouble() < _scenario.ResumeRate)
        {
            var paused = _nodes.Values.Where(n => n.Paused).ToList();
            if (paused.Count > 0)
            {
                Resume(paused[_random.Next(paused.Count)], "its host");
            }
        }
    }

    private void Resume(SimNode node, string by)
    {
        if (node.ResumeIfPaused(tellNode: !_settings.UnsafeResumeWithoutNotice))
        {
            Trace($"resume: node {node.Id}, by {by}");
        }
    }

    private void Crash(SimNode node, string how)
    {
        node.Crash();
        Trace($"{how}: node {node.Id}");
    }

    private void Restart(SimNode node)
    {
        node.Restart();
        Trace($"restart: node {node.Id} from snapshot {node.Storage.Snapshot()!.Metadata.Index}, log [{node.Storage.FirstIndex},{node.Storage.LastIndex}], {node.Storage.HardState}");
    }

    private SimNode? Leader()
    {
        SimNode? leader = null;
        foreach (var node in _nodes.Values)
        {
            if (node.Alive && node.Node.Role == RaftRole.Leader && (leader is null || node.Node.Term > leader.Node.Term))
            {
                leader = node;
            }
        }
        return leader;
    }

    /// <summary>Client requests mostly go to the leader, sometimes to a random node (which must refuse or forward).
    /// Paused nodes get none: they stand for sleeping hosts that clients cannot reach, so that what wakes them is
    /// their host, after the others may have moved on.</summary>
    private SimNode? PickTarget()
    {
        var leader = Leader();
        if (leader is { Paused: false } && _random.NextDouble() < 0.8)
        {
            return leader;
        }
        var live = _nodes.Values.Where(n => n.Alive && !n.Paused).ToList();
        return live.Count == 0 ? null : live[_random.Next(live.Count)];
    }

    private void Propose()
    {
        var target = PickTarget();
        if (target is null)
        {
            return;
        }
        Resume(target, "a client's write");
        var writeId = ++_writes;
        var data = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(data, writeId);
        var result = target.Node.Propose(data);
        if (result.IsAccepted)
        {
            target.Proposals[result.Index] = (result.Term, writeId);
        }
        Trace($"propose write {writeId} at node {target.Id}: {result.Status} {result.Index}/{result.Term}");
    }

    private void Read()
    {
        var target = PickTarget();
        if (target is null)
        {
            return;
        }
        Resume(target, "a client's read");
        var requestId = ++_reads;
        var status = target.Node.ReadIndex(requestId);
        if (status == ProposalStatus.Accepted)
        {
            target.ReadsRequested[requestId] = _checker.MaxAcknowledgedIndex;
        }
        Trace($"read {requestId} at node {target.Id}: {status} (must see {_checker.MaxAcknowledgedIndex})");
    }

    private void ChangeMembership()
    {
        var leader = Leader();
        if (leader is null)
        {
            return;
        }
        Resume(leader, "a membership change");
        var state = leader.Node.ConfState;
        var voters = state.Voters;
        var learners = state.Learners;
        var newId = _nextId <= _maxId ? _nextId : 0;
        ConfChange? change = _random.Next(7) switch
        {
            0 when newId != 0 => ConfChange.AddLearner(newId),
            1 when newId != 0 => ConfChange.AddVoter(newId),
            2 when learners.Length > 0 => ConfChange.AddVoter(learners[_random.Next(learners.Length)]),
            3 when voters.Length > 1 => ConfChange.Remove(voters[_random.Next(voters.Length)]),
            4 when learners.Length > 0 => ConfChange.Remove(learners[_random.Next(learners.Length)]),
            5 when newId != 0 && voters.Length > 1 => new ConfChange(ConfChangeTransition.Auto,
                [new(ConfChangeType.AddVoter, newId), new(ConfChangeType.RemoveNode, voters[_random.Next(voters.Length)])]),
            6 when voters.Length > 1 => new ConfChange(ConfChangeTransition.JointAutoLeave,
                [new(ConfChangeType.AddLearner, voters[_random.Next(voters.Length)])]),
            _ => null,
        };
        if (change is null)
        {
            return;
        }
        var result = leader.Node.ProposeConfChange(change);
        Trace($"conf change {change} at leader {leader.Id} ({state}): {result.Status} {result.Index}");
        if (result.IsAccepted && Array.Exists(change.Changes, c => c.NodeId == newId && newId != 0))
        {
            _nodes[newId] = SimNode.Joining(newId, _seed, appliesLater: _applyTiming.Next(2) == 0, writesLater: _writeTiming.Next(2) == 0);
            _nextId++;
        }
    }

    private void Transfer()
    {
        var leader = Leader();
        if (leader is null)
        {
            return;
        }
        Resume(leader, "a leader transfer");
        var voters = leader.Node.ConfState.Voters;
        var target = voters[_random.Next(voters.Length)];
        var status = leader.Node.TransferLeader(target);
        Trace($"transfer leader {leader.Id} -> {target}: {status}");
    }

    private void Compact()
    {
        var live = _nodes.Values.Where(n => n.Alive && !n.Node.HasReady).ToList();
        if (live.Count == 0)
        {
            return;
        }
        var node = live[_random.Next(live.Count)];
        var applied = node.StateMachine.AppliedIndex;
        var keep = (ulong)_random.Next(4);
        node.Compact(applied > keep ? applied - keep : 0);
        Trace($"compact node {node.Id}: snapshot {node.Storage.Snapshot()!.Metadata.Index}, first index {node.Storage.FirstIndex}");
    }

    /// <summary>Snapshots travel on their own stream in a real store, whose sender learns whether it
    /// arrived; the simulated transport tells the sending leader the same.</summary>
    private void ReportSnapshotOutcome(Message message, bool delivered)
    {
        if (message.Type == MessageType.InstallSnapshot && _nodes.TryGetValue(message.From, out var sender) && sender.Alive)
        {
            Resume(sender, "a snapshot report");
            sender.Node.ReportSnapshot(message.To, delivered);
            Trace($"snapshot {message.From}->{message.To} reported {(delivered ? "delivered" : "lost")}");
        }
    }

    private void Send(Message message)
    {
        if (!_network.Send(message, _now))
        {
            ReportSnapshotOutcome(message, delivered: false);
        }
    }

    private void ProcessReadies()
    {
        foreach (var node in _nodes.Values)
        {
            for (var rounds = 0; node.Alive && node.Node.HasReady && rounds < 4; rounds++)
            {
                HandleReady(node);
            }
        }
    }

    private void HandleReady(SimNode node)
    {
        var before = (node.Node.Role, node.Node.Term);
        var ready = node.Node.GetReady();
        foreach (var message in ready.Messages)
        {
            Send(message);
        }
        if (_settings.UnsafeSendBeforePersist)
        {
            foreach (var message in ready.MessagesAfterPersist)
            {
                Send(message);
            }
        }
        if (_chaos && _random.NextDouble() < _scenario.CrashMidReadyRate)
        {
            Crash(node, "crash before the write was durable");
            return;
        }
        var writeLater = node.WritesLater && ready.Snapshot is null;
        if (ready.Snapshot is { } snapshot)
        {
            PersistPending(node, int.MaxValue); // The snapshot replaces what they wrote: they go first.
            ApplyHandedOut(node); // The snapshot replaces the state machine those entries go to.
            node.InstallSnapshot(snapshot);
            _checker.CheckSnapshotState(node);
            Trace($"node {node.Id} installed snapshot {snapshot.Metadata.Index}/{snapshot.Metadata.Term} {snapshot.Metadata.ConfState}");
        }
        if (writeLater)
        {
            var afterPersist = _settings.UnsafeSendBeforePersist ? [] : ready.MessagesAfterPersist;
            node.PendingWrites.Add(new PendingWrite(ready.Entries.ToArray(), ready.HardState, afterPersist));
        }
        else
        {
            Persist(node, ready.Entries.Span, ready.HardState);
            if (!_settings.UnsafeSendBeforePersist)
            {
                foreach (var message in ready.MessagesAfterPersist)
                {
                    Send(message);
                }
            }
        }
        var later = node.AppliesLater && !ChangesMembership(ready.CommittedEntries.Span);
        if (later)
        {
            node.Unapplied.AddRange(ready.CommittedEntries);
        }
        else
        {
            ApplyHandedOut(node);
            foreach (var entry in ready.CommittedEntries)
            {
                Apply(node, entry);
            }
        }
        foreach (var read in ready.ReadStates)
        {
            if (node.ReadsRequested.Remove(read.RequestId, out var mustSee))
            {
                _checker.CheckRead(node, read, mustSee);
            }
        }
        if (writeLater)
        {
            node.Node.AdvanceWritingLater(ready);
            if (!later && ready.CommittedEntries.Length > 0)
            {
                node.Node.AppliedTo(ready.CommittedEntries[^1].Index);
            }
        }
        else if (later)
        {
            node.Node.AdvanceApplyingLater(ready);
        }
        else
        {
            node.Node.Advance(ready);
        }
        _checker.CheckCommitted(node);
        if (_trace is not null && before != (node.Node.Role, node.Node.Term))
        {
            Trace($"node {node.Id} is {node.Node.Role} in term {node.Node.Term}");
        }
    }

    private void Apply(SimNode node, in Entry entry)
    {
        _checker.CheckApply(node, entry);
        node.StateMachine.AppliedIndex = entry.Index;
        if (entry.Type == EntryType.ConfChange)
        {
            var change = ConfChange.Decode(entry.Data.Span);
            try
            {
                var state = node.Node.ApplyConfChange(change);
                Trace($"node {node.Id} applied {change} at {entry.Index}: {state}");
            }
            catch (ConfChangeException e)
            {
                Trace($"node {node.Id} skipped invalid {change} at {entry.Index}: {e.Message}");
            }
        }
        else if (entry.Data.Length == 8)
        {
            var writeId = BinaryPrimitives.ReadUInt64LittleEndian(entry.Data.Span);
            node.StateMachine.Writes.Add((entry.Index, writeId));
            _checker.RecordWrite(entry.Index, writeId);
        }
        if (node.Proposals.Remove(entry.Index, out var proposal) && proposal.Term == entry.Term)
        {
            _checker.Acknowledge(proposal.WriteId, entry.Index);
            Trace($"ack write {proposal.WriteId} at {entry.Index} by node {node.Id}");
        }
    }

    private void HealEverything()
    {
        _chaos = false;
        _network.Heal();
        _network.Faults = null;
        foreach (var node in _nodes.Values)
        {
            if (!node.Alive)
            {
                Restart(node);
            }
            Resume(node, "the heal");
        }
        Trace("healed: network whole, every node up and ticking, no more faults");
    }

    private bool Converged()
    {
        var leader = Leader();
        if (leader is null)
        {
            return false;
        }
        var state = leader.Node.ConfState;
        if (state.IsJoint || leader.Node.CommitIndex < _checker.MaxAcknowledgedIndex)
        {
            return false;
        }
        foreach (var id in state.Voters.Concat(state.Learners))
        {
            if (!_nodes.TryGetValue(id, out var member) || member.StateMachine.AppliedIndex < _checker.MaxAcknowledgedIndex)
            {
                return false;
            }
        }
        return true;
    }

    private string Describe() => string.Join("; ", _nodes.Values.Select(n =>
        $"node {n.Id}: {(n.Alive ? "up" : "down")} {n.Node.Role} term={n.Node.Term} commit={n.Node.CommitIndex} applied={n.StateMachine.AppliedIndex} last={n.Node.LastIndex} conf={n.Node.ConfState}"));
}
