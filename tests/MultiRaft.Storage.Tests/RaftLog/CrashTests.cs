using System.Diagnostics;
using MultiRaft.Storage.CrashWorker;
using MultiRaft.Storage.RaftLog;
using Xunit.Abstractions;

namespace MultiRaft.Storage.Tests.RaftLog;

/// <summary>
/// Real processes killed with SIGKILL at random moments: a child appends batches (many regions, random sizes,
/// periodic compaction and purge) and reports each batch it synced; after every kill the log must hold every
/// reported batch, no part of any later one, matching hard states, and exactly the expected entry bytes.
/// </summary>
public class CrashTests(ITestOutputHelper output)
{
    private const int Kills = 22;

    [Fact]
    public void A_killed_writer_never_loses_a_synced_batch_nor_leaves_a_partial_one()
    {
        var seed = Environment.GetEnvironmentVariable("MULTIRAFT_CRASH_SEED") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : Environment.TickCount;
        output.WriteLine($"seed {seed} (rerun with MULTIRAFT_CRASH_SEED={seed})");
        var random = new Random(seed);
        var directory = Path.Combine(Path.GetTempPath(), "multiraft-crash-" + Guid.NewGuid().ToString("N"));
        try
        {
            long reported = 0;
            for (var kill = 1; kill <= Kills; kill++)
            {
                reported = Math.Max(reported, RunAndKill(directory, seed, random.Next(30, 400)));
                var present = Verify(directory, seed, reported);
                output.WriteLine($"kill {kill}: {present} batches in the log, {reported} reported synced");
            }
            Assert.True(reported >= Kills, $"only {reported} batches were synced across {Kills} runs: the worker hardly ran");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Starts the worker, SIGKILLs it <paramref name="afterMs"/> after it is ready, and returns the
    /// highest batch it reported synced.</summary>
    private static long RunAndKill(string directory, int seed, int afterMs)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MultiRaft.Storage.CrashWorker.dll"));
        start.ArgumentList.Add(directory);
        start.ArgumentList.Add(seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the crash worker");
        long synced = 0;
        using var ready = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            while (process.StandardOutput.ReadLine() is { } line)
            {
                if (line.StartsWith("synced ", StringComparison.Ordinal))
                {
                    Interlocked.Exchange(ref synced, long.Parse(line.AsSpan(7), System.Globalization.CultureInfo.InvariantCulture));
                }
                ready.Set();
            }
            ready.Set();
        }) { IsBackground = true };
        reader.Start();
        var started = ready.Wait(TimeSpan.FromSeconds(60));
        if (started)
        {
            Thread.Sleep(afterMs);
        }
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        reader.Join(TimeSpan.FromSeconds(30));
        Assert.True(started, "the worker did not start within 60 s");
        return Interlocked.Read(ref synced);
    }

    /// <summary>Opens the log and checks it against the workload; returns how many batches it holds.</summary>
    private static long Verify(string directory, int seed, long reported)
    {
        using var engine = RaftLogEngine.Open(new RaftLogEngineOptions { Directory = directory, PageSizeBits = 16, MemorySizeBits = 18, SegmentSizeBits = 18 });
        var present = (long)engine.LastIndex(CrashWorkload.ProgressRegion);
        Assert.True(present >= reported, $"batch {reported} was reported synced but the log holds only {present}");
        var expected = CrashWorkload.ExpectedLast(seed, present);
        Assert.Equal(expected.Keys.Order(), engine.Regions.Order());
        foreach (var (region, last) in expected)
        {
            // Exactly the expected last index: a partial later batch would show up as more.
            Assert.Equal(last, engine.LastIndex(region));
            if (region != CrashWorkload.ProgressRegion)
            {
                Assert.Equal(last, engine.HardState(region).Commit);
            }
            var entries = new List<MultiRaft.Raft.Entry>();
            var first = engine.FirstIndex(region);
            Assert.Equal(MultiRaft.Raft.LogRead.Ok, engine.Entries(region, first, last + 1, long.MaxValue, entries));
            Assert.Equal((int)(last - first + 1), entries.Count);
            foreach (var entry in entries)
            {
                Assert.True(entry.Data.Span.SequenceEqual(CrashWorkload.Data(region, entry.Index)), $"region {region} entry {entry.Index} has the wrong bytes");
            }
        }
        return present;
    }
}
