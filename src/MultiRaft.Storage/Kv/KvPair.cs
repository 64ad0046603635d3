namespace MultiRaft.Storage.Kv;

/// <summary>A user key and its value, as returned by a scan.</summary>
public readonly record struct KvPair(byte[] Key, byte[] Value);
