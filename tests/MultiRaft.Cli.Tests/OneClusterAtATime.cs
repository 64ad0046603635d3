namespace MultiRaft.Cli.Tests;

/// <summary>The test classes that start a cluster run one after another: several clusters at once on a 2-core
/// machine starve each other's Raft timers and PD's answers, and the tests would fail for that alone.</summary>
[CollectionDefinition(Name)]
public sealed class OneClusterAtATime
{
    public const string Name = "one cluster at a time";
}
