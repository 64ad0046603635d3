namespace MultiRaft.Storage;

/// <summary>A storage engine found its files unusable (corrupt, missing, from another format).</summary>
public sealed class StorageException : Exception
{
    public StorageException(string message)
        : base(message)
    {
    }

    public StorageException()
    {
    }

    public StorageException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
