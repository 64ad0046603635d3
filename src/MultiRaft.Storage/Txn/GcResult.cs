namespace MultiRaft.Storage.Txn;

/// <summary>
/// What one GC call removed (write records; the values of removed Put records go with them) and the user key to
/// continue from, or null when the range is done.
/// </summary>
public sealed record GcResult(int VersionsDeleted, byte[]? ResumeKey);
