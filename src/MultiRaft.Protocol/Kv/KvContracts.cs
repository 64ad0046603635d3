using MessagePack;
using MultiRaft.Protocol.Metadata;

namespace MultiRaft.Protocol.Kv;

/// <summary>Which region (and which version of it) a request is meant for. A request whose epoch is older than
/// the region's gets <see cref="RegionError.EpochNotMatch"/>.</summary>
[MessagePackObject]
public readonly record struct RegionContext(
    [property: Key(0)] ulong RegionId,
    [property: Key(1)] EpochInfo Epoch);

[MessagePackObject]
public sealed record GetRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] byte[] Key);

/// <summary>Either <see cref="Error"/>, or the value (null: the key is absent).</summary>
[MessagePackObject]
public sealed record GetResponse(
    [property: Key(0)] RegionError? Error,
    [property: Key(1)] byte[]? Value);

[MessagePackObject]
public sealed record BatchGetRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] byte[][] Keys);

/// <summary>The pairs found, in request order; absent keys are left out.</summary>
[MessagePackObject]
public sealed record BatchGetResponse(
    [property: Key(0)] RegionError? Error,
    [property: Key(1)] KvEntry[] Pairs);

/// <summary>Forward scan of <c>[StartKey, EndKey)</c> (empty end = +inf) within the region, at most
/// <see cref="Limit"/> pairs.</summary>
[MessagePackObject]
public sealed record ScanRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] byte[] StartKey,
    [property: Key(2)] byte[] EndKey,
    [property: Key(3)] int Limit);

[MessagePackObject]
public sealed record ScanResponse(
    [property: Key(0)] RegionError? Error,
    [property: Key(1)] KvEntry[] Pairs);

[MessagePackObject]
public sealed record KvEntry(
    [property: Key(0)] byte[] Key,
    [property: Key(1)] byte[] Value);

[MessagePackObject]
public sealed record PutRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] byte[] Key,
    [property: Key(2)] byte[] Value);

[MessagePackObject]
public sealed record BatchPutRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] KvEntry[] Pairs);

[MessagePackObject]
public sealed record DeleteRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] byte[] Key);

/// <summary>Deletes <c>[StartKey, EndKey)</c>; the range must lie inside the region.</summary>
[MessagePackObject]
public sealed record DeleteRangeRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] byte[] StartKey,
    [property: Key(2)] byte[] EndKey);

/// <summary>Sets <see cref="Key"/> to <see cref="NewValue"/> (null: delete it) if its current value equals
/// <see cref="ExpectedValue"/> (null: the key must be absent).</summary>
[MessagePackObject]
public sealed record CompareAndSwapRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] byte[] Key,
    [property: Key(2)] byte[]? ExpectedValue,
    [property: Key(3)] byte[]? NewValue);

[MessagePackObject]
public sealed record WriteResponse([property: Key(0)] RegionError? Error);

/// <summary>Whether the swap happened, and the value found (the previous value either way).</summary>
[MessagePackObject]
public sealed record CompareAndSwapResponse(
    [property: Key(0)] RegionError? Error,
    [property: Key(1)] bool Succeeded,
    [property: Key(2)] byte[]? PreviousValue);
