namespace MultiRaft.Transport.Framing;

/// <summary>A frame that cannot be accepted (too large, corrupt, unknown). The connection it arrived on is
/// closed with this reason; the process and its other connections carry on.</summary>
public sealed class FrameException : Exception
{
    public FrameException(string message)
        : base(message)
    {
    }

    public FrameException()
    {
    }

    public FrameException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
