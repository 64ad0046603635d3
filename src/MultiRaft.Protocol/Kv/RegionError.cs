using MessagePack;
using MultiRaft.Protocol.Metadata;

namespace MultiRaft.Protocol.Kv;

/// <summary>Why a store did not serve a request. None of these has a partial effect, except
/// <see cref="RegionErrorKind.Timeout"/> on a write, whose outcome is unknown.</summary>
[MessagePackObject]
public sealed record RegionError(
    [property: Key(0)] RegionErrorKind Kind,
    [property: Key(1)] string Message,
    [property: Key(2)] PeerInfo? Leader = null,
    [property: Key(3)] RegionInfo[]? CurrentRegions = null)
{
    public static RegionError NotLeader(ulong regionId, PeerInfo? leader) =>
        new(RegionErrorKind.NotLeader, $"this store does not lead region {regionId}", leader);

    public static RegionError EpochNotMatch(string message, RegionInfo[] current) =>
        new(RegionErrorKind.EpochNotMatch, message, CurrentRegions: current);

    public static RegionError RegionNotFound(ulong regionId) =>
        new(RegionErrorKind.RegionNotFound, $"region {regionId} is not on this store");

    public static RegionError KeyNotInRegion(RegionInfo region) =>
        new(RegionErrorKind.KeyNotInRegion, $"key is outside region {region.Id}", CurrentRegions: [region]);

    public static RegionError ServerIsBusy(string reason) => new(RegionErrorKind.ServerIsBusy, reason);

    public static RegionError InvalidArgument(string reason) => new(RegionErrorKind.InvalidArgument, reason);

    public static RegionError Timeout(string reason) => new(RegionErrorKind.Timeout, reason);

    public override string ToString() => $"{Kind}: {Message}";
}

public enum RegionErrorKind : byte
{
    NotLeader = 1,
    EpochNotMatch = 2,
    KeyNotInRegion = 3,
    RegionNotFound = 4,
    ServerIsBusy = 5,
    ProposalDropped = 6,
    Timeout = 7,
    InvalidArgument = 8,
}
