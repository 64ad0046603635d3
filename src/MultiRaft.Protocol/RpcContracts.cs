using MessagePack;

namespace MultiRaft.Protocol;

/// <summary>One call: a correlation id unique on its connection, the method name, and its MessagePack body.
/// <see cref="DeadlineMs"/> is how long the caller will wait, so the server can give up too.</summary>
[MessagePackObject]
public sealed record RpcRequest(
    [property: Key(0)] ulong Id,
    [property: Key(1)] string Method,
    [property: Key(2)] byte[] Body,
    [property: Key(3)] int DeadlineMs);

/// <summary>The answer to request <see cref="Id"/>: a body, or an error code and message.</summary>
[MessagePackObject]
public sealed record RpcResponse(
    [property: Key(0)] ulong Id,
    [property: Key(1)] RpcStatus Status,
    [property: Key(2)] string? Error,
    [property: Key(3)] byte[] Body);

/// <summary>How a call ended on the server. Application errors (NotLeader, EpochNotMatch, ...) travel in
/// the body of an Ok response; these are failures of the call itself.</summary>
public enum RpcStatus : byte
{
    Ok = 0,
    UnknownMethod = 1,
    InvalidArgument = 2,
    DeadlineExceeded = 3,
    Internal = 4,
}
