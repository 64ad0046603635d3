using MultiRaft.Protocol;

namespace MultiRaft.Transport.Rpc;

/// <summary>The server answered the call with a failure.</summary>
public sealed class RpcRemoteException : Exception
{
    public RpcRemoteException(RpcStatus status, string message)
        : base($"{status}: {message}") => Status = status;

    public RpcRemoteException()
    {
    }

    public RpcRemoteException(string message)
        : base(message)
    {
    }

    public RpcRemoteException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public RpcStatus Status { get; }
}

/// <summary>The call's deadline passed without an answer; whether it ran on the server is unknown.</summary>
public sealed class RpcTimeoutException : Exception
{
    public RpcTimeoutException(string message)
        : base(message)
    {
    }

    public RpcTimeoutException()
    {
    }

    public RpcTimeoutException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>The connection failed before an answer came; whether the call ran on the server is unknown.</summary>
public sealed class RpcConnectionException : Exception
{
    public RpcConnectionException(string message)
        : base(message)
    {
    }

    public RpcConnectionException()
    {
    }

    public RpcConnectionException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
