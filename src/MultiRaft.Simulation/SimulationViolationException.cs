namespace MultiRaft.Simulation;

/// <summary>A safety or liveness property the simulator found broken.</summary>
public sealed class SimulationViolationException : Exception
{
    public SimulationViolationException(string message)
        : base(message)
    {
    }

    public SimulationViolationException()
    {
    }

    public SimulationViolationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
