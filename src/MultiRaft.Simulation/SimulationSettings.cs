namespace MultiRaft.Simulation;

/// <summary>What to run for a seed; anything left null is derived from the seed.</summary>
public sealed record SimulationSettings
{
    public Scenario? Scenario { get; init; }

    /// <summary>Initial voters (3 or 5 when derived from the seed).</summary>
    public int? Nodes { get; init; }

    /// <summary>Record a readable trace of every event (slower; used to replay a failing seed).</summary>
    public bool Trace { get; init; }

    /// <summary>Lines of trace kept (the most recent ones).</summary>
    public int TraceLimit { get; init; } = 400;

    /// <summary>Deliberately broken host that sends responses before persisting, to prove the checker catches
    /// what Raft's persistence rule prevents. Never set outside the checker's own tests.</summary>
    public bool UnsafeSendBeforePersist { get; init; }

    /// <summary>Deliberately broken host that resumes a paused node's ticks without telling it
    /// (<c>RaftNode.ResumeAfterPause</c>), so a leader's lease would count the pause as no time at all. Never set
    /// outside the checker's own tests.</summary>
    public bool UnsafeResumeWithoutNotice { get; init; }

    public (Scenario Scenario, int Nodes) Resolve(int seed)
    {
        var all = Simulation.Scenario.All;
        var scenario = Scenario ?? all[(int)((uint)seed % (uint)all.Count)];
        var nodes = Nodes ?? ((uint)seed / (uint)all.Count % 2 == 0 ? 3 : 5);
        return (scenario, nodes);
    }
}
