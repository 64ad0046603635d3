using MultiRaft.Raft;

namespace MultiRaft.Simulation;

/// <summary>
/// A network that loses, duplicates, delays and reorders messages and can be partitioned, symmetrically or
/// one way. Every choice comes from the run's seeded random source.
/// </summary>
internal sealed class SimNetwork
{
    private readonly Random _random;
    private readonly List<(long DeliverAt, Message Message)> _inFlight = [];
    private readonly HashSet<(ulong From, ulong To)> _cut = [];

    public SimNetwork(Random random) => _random = random;

    public Scenario? Faults { get; set; }

    public int InFlight => _inFlight.Count;

    public bool IsCut(ulong from, ulong to) => _cut.Contains((from, to));

    /// <summary>Queues a message; returns false if the network lost it.</summary>
    public bool Send(Message message, long now)
    {
        var faults = Faults;
        if (faults is not null && _random.NextDouble() < faults.DropRate)
        {
            return false;
        }
        var copies = faults is not null && _random.NextDouble() < faults.DuplicateRate ? 2 : 1;
        for (var i = 0; i < copies; i++)
        {
            var delay = faults is null ? 1 : 1 + _random.Next(faults.MaxDelay);
            _inFlight.Add((now + delay, message));
        }
        return true;
    }

    /// <summary>Removes and returns the messages due by <paramref name="now"/> in a random order (so equal
    /// delays still reorder). Messages on a cut link are lost; <paramref name="lost"/> hears of each.</summary>
    public List<Message> Due(long now, Action<Message> lost)
    {
        var due = new List<Message>();
        for (var i = 0; i < _inFlight.Count;)
        {
            var (at, message) = _inFlight[i];
            if (at <= now)
            {
                _inFlight[i] = _inFlight[^1];
                _inFlight.RemoveAt(_inFlight.Count - 1);
                if (_cut.Contains((message.From, message.To)))
                {
                    lost(message);
                }
                else
                {
                    due.Add(message);
                }
                continue;
            }
            i++;
        }
        // Shuffle so that messages due at the same time arrive in a seed-defined random order.
        for (var i = due.Count - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (due[i], due[j]) = (due[j], due[i]);
        }
        return due;
    }

    /// <summary>Splits <paramref name="nodes"/> into two sides that cannot talk to each other.</summary>
    public List<ulong> PartitionRandomly(IReadOnlyList<ulong> nodes)
    {
        var side = new List<ulong>();
        foreach (var id in nodes)
        {
            if (_random.Next(2) == 0)
            {
                side.Add(id);
            }
        }
        foreach (var a in side)
        {
            foreach (var b in nodes)
            {
                if (!side.Contains(b))
                {
                    _cut.Add((a, b));
                    _cut.Add((b, a));
                }
            }
        }
        return side;
    }

    public void CutOneWay(ulong from, ulong to) => _cut.Add((from, to));

    public void Heal() => _cut.Clear();
}
