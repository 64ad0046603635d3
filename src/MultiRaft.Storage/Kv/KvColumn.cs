namespace MultiRaft.Storage.Kv;

/// <summary>The column families the engine uses (see <see cref="KvKeys"/> for what each holds).</summary>
internal enum KvColumn
{
    Data = 0,
    Meta = 1,
    Lock = 2,
    Write = 3,
}
