namespace MultiRaft.Raft;

/// <summary>A membership change that cannot be applied to the current configuration.</summary>
public sealed class ConfChangeException : Exception
{
    public ConfChangeException(string message)
        : base(message)
    {
    }

    public ConfChangeException()
    {
    }

    public ConfChangeException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
