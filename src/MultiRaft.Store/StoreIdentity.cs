using System.Globalization;

namespace MultiRaft.Store;

/// <summary>
/// Which cluster this data directory belongs to and which store it is, written once when the store first
/// registers. A restart reuses the store id; a directory from another cluster is refused rather than mixed in.
/// </summary>
internal sealed record StoreIdentity(ulong ClusterId, ulong StoreId)
{
    private const string FileName = "store.ident";

    public static StoreIdentity? Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }
        var parts = File.ReadAllText(path).Trim().Split(' ');
        if (parts.Length != 2 || !ulong.TryParse(parts[0], CultureInfo.InvariantCulture, out var cluster)
            || !ulong.TryParse(parts[1], CultureInfo.InvariantCulture, out var store) || cluster == 0 || store == 0)
        {
            throw new InvalidDataException($"{path} is damaged: expected '<cluster id> <store id>'");
        }
        return new StoreIdentity(cluster, store);
    }

    /// <summary>Writes the identity durably: a temp file, fsynced, renamed over the old one.</summary>
    public void Save(string directory)
    {
        var path = Path.Combine(directory, FileName);
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            file.Write(System.Text.Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{ClusterId} {StoreId}\n")));
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
