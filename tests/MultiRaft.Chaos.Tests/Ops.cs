using MultiRaft.Chaos;

namespace MultiRaft.Chaos.Tests;

/// <summary>Shorthand for hand-made histories: times are arbitrary integers, a null completion is unknown.</summary>
internal static class Ops
{
    private static int index;

    public static Operation W(long process, string? value, long invoke, long? complete, string key = "x") =>
        Make(process, OpKind.Write, key, value, null, invoke, complete, OpStatus.Ok);

    public static Operation R(long process, string? value, long invoke, long complete, string key = "x") =>
        Make(process, OpKind.Read, key, value, null, invoke, complete, OpStatus.Ok);

    public static Operation Cas(long process, string? expected, string? value, long invoke, long? complete, string key = "x") =>
        Make(process, OpKind.Cas, key, value, expected, invoke, complete, OpStatus.Ok);

    /// <summary>An operation with an unknown outcome.</summary>
    public static Operation Info(Operation o) => o with { Status = OpStatus.Info, CompleteTime = null };

    public static Operation Fail(Operation o) => o with { Status = OpStatus.Fail };

    private static Operation Make(long process, OpKind f, string key, string? value, string? expected, long invoke, long? complete, OpStatus status) =>
        new(Interlocked.Increment(ref index), process, f, key, value, complete is null ? OpStatus.Info : status, invoke, complete) { Expected = expected };

    public static KeyResult Check(params Operation[] ops) =>
        LinearizabilityChecker.CheckKey(ops[0].Key, ops);
}
