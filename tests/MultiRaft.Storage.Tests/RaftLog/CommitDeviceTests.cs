using FASTER.core;
using MultiRaft.Storage.RaftLog;

namespace MultiRaft.Storage.Tests.RaftLog;

/// <summary>The commit metadata device: FASTER's commit manager reads back what it wrote, and a write is done
/// before the call that issued it returns, so it never needs a thread-pool thread.</summary>
public sealed class CommitDeviceTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "multiraft-commit-device-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Commit_metadata_written_through_the_factory_reads_back_and_lists_newest_first()
    {
        // Outdated commits kept: FASTER deletes them in the background, which would race with reading them here.
        var manager = new DeviceLogCommitCheckpointManager(new CommitDeviceFactory(), new DefaultCheckpointNamingScheme(_directory), removeOutdated: false);
        var first = Enumerable.Range(0, 700).Select(i => (byte)i).ToArray(); // Longer than one 512-byte sector.
        var second = new byte[] { 9, 8, 7 };

        manager.Commit(0, 100, first, 1, forceWriteMetadata: true);
        manager.Commit(0, 200, second, 2, forceWriteMetadata: true);

        // FASTER pads the metadata to whole sectors and hands the padding back with it.
        AssertPadded(first, manager.GetCommitMetadata(1));
        AssertPadded(second, manager.GetCommitMetadata(2));
        Assert.Equal([2L, 1L], manager.ListCommits());
    }

    [Fact]
    public void A_write_completes_before_the_call_that_issued_it_returns()
    {
        using var device = new CommitFileDevice(Path.Combine(_directory, "one"));
        // A 512-byte-aligned sector inside a pinned array (the device is unbuffered).
        var pinned = GC.AllocateArray<byte>(1024, pinned: true);
        var start = (int)((512 - ((long)System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0) % 512)) % 512);
        var sector = pinned.AsMemory(start, 512);
        var address = System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(pinned, start);
        sector.Span.Fill(42);
        var completed = -1L;

        device.WriteAsync(address, 0, 512, (error, bytes, _) => completed = error == 0 ? bytes : -2, null);

        Assert.Equal(512, completed);
        sector.Span.Clear();
        device.ReadAsync(0, address, 512, (error, bytes, _) => completed = error == 0 ? bytes + 1000 : -2, null);
        Assert.Equal(1512, completed);
        Assert.True(sector.Span.IndexOfAnyExcept((byte)42) < 0);
    }

    private static void AssertPadded(byte[] expected, byte[] read)
    {
        Assert.Equal(expected, read[..expected.Length]);
        Assert.True(read.AsSpan(expected.Length).IndexOfAnyExcept((byte)0) < 0);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
