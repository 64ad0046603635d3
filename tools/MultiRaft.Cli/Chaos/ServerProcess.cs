using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MultiRaft.Cli.Chaos;

/// <summary>
/// A real <c>multiraft</c> server process (this same executable with other arguments) that the nemesis may
/// kill with SIGKILL, pause with SIGSTOP and resume with SIGCONT, and start again with the same arguments.
/// Its output goes to a log file beside its data.
/// </summary>
internal sealed partial class ServerProcess(string name, string logPath, IReadOnlyList<string> arguments) : IDisposable
{
    private const int SigKill = 9;
    private const int SigCont = 18;
    private const int SigStop = 19;
    private Process? _process;

    public string Name { get; } = name;

    public bool IsRunning => _process is { HasExited: false };

    public bool IsPaused { get; private set; }

    public void Start()
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ServerProcess).Assembly.Location);
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Name}");
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) => Write(log, e.Data);
        _process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        IsPaused = false;
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            log.WriteLine(line);
        }
    }

    public void Kill()
    {
        if (_process is null)
        {
            return;
        }
        Signal(SigKill);
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
        IsPaused = false;
    }

    public void Pause()
    {
        if (IsRunning && !IsPaused)
        {
            Signal(SigStop);
            IsPaused = true;
        }
    }

    public void Resume()
    {
        if (IsRunning && IsPaused)
        {
            Signal(SigCont);
            IsPaused = false;
        }
    }

    private void Signal(int signal)
    {
        if (_process is { HasExited: false } process && SendSignal(process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"signal {signal} to {Name} (pid {process.Id}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);

    public void Dispose()
    {
        Resume();
        Kill();
    }
}
