namespace MultiRaft.Transport;

/// <summary>A peer that could be reached but did not speak the protocol as expected (refused handshake,
/// wrong store or cluster).</summary>
public sealed class TransportException : Exception
{
    public TransportException(string message)
        : base(message)
    {
    }

    public TransportException()
    {
    }

    public TransportException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
