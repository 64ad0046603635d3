using FASTER.core;

namespace MultiRaft.Storage.RaftLog;

/// <summary>FASTER's local named-device factory for the log's commit metadata, except that each file's device is
/// a <see cref="CommitFileDevice"/>, whose writes need no thread-pool thread. Naming, listing and deleting
/// stay FASTER's, so existing commit directories read as before.</summary>
internal sealed class CommitDeviceFactory : INamedDeviceFactory
{
    private readonly LocalStorageNamedDeviceFactory _files = new();
    private string _baseName = "";

    public void Initialize(string baseName)
    {
        _baseName = baseName;
        _files.Initialize(baseName);
    }

    public IDevice Get(FileDescriptor fileInfo) => new CommitFileDevice(Path.Combine(_baseName, fileInfo.directoryName, fileInfo.fileName));

    public void Delete(FileDescriptor fileInfo) => _files.Delete(fileInfo);

    public IEnumerable<FileDescriptor> ListContents(string path) => _files.ListContents(path);
}
