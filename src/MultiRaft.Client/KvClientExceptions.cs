namespace MultiRaft.Client;

/// <summary>The deadline passed while the stores were answering but busy or slow (ServerIsBusy, dropped
/// proposals, read timeouts): a read, or a write that was never applied. (A write sent without an answer
/// ends in <see cref="UnknownOutcomeException"/> instead; no reachable leader ends in
/// <see cref="ClusterUnavailableException"/>.)</summary>
public sealed class KvTimeoutException : Exception
{
    public KvTimeoutException(string message) : base(message) { }

    public KvTimeoutException(string message, Exception inner) : base(message, inner) { }

    public KvTimeoutException() { }
}

/// <summary>A write was sent but its outcome is unknown (the connection dropped or the deadline passed after
/// sending): it may or may not have been applied. The client never re-sends such a write by itself, since
/// applying a put or compare-and-swap twice can break linearizability; the caller decides.</summary>
public sealed class UnknownOutcomeException : Exception
{
    public UnknownOutcomeException(string message) : base(message) { }

    public UnknownOutcomeException(string message, Exception inner) : base(message, inner) { }

    public UnknownOutcomeException() { }
}

/// <summary>The cluster refused the request itself (an empty or oversized key, an oversized value or batch):
/// retrying cannot help.</summary>
public sealed class KvInvalidArgumentException : ArgumentException
{
    public KvInvalidArgumentException(string message) : base(message) { }

    public KvInvalidArgumentException(string message, Exception inner) : base(message, inner) { }

    public KvInvalidArgumentException() { }
}

/// <summary>No region leader could be reached before the deadline (PD or stores down, no quorum).</summary>
public sealed class ClusterUnavailableException : Exception
{
    public ClusterUnavailableException(string message) : base(message) { }

    public ClusterUnavailableException(string message, Exception inner) : base(message, inner) { }

    public ClusterUnavailableException() { }
}
