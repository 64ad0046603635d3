using System.Diagnostics;
using System.Text.Json;

namespace MultiRaft.Cli.Tests;

/// <summary>Runs the real <c>multiraft</c> executable and captures what a user would see.</summary>
internal static class Cli
{
    public sealed record Result(int ExitCode, string Out, string Error)
    {
        public JsonElement Json => JsonDocument.Parse(Out).RootElement;
    }

    public static Task<Result> RunAsync(params string[] arguments) => RunAsync(TimeSpan.FromSeconds(60), arguments);

    /// <summary>Runs a command that may take longer than a minute (a chaos run).</summary>
    public static Task<Result> RunAsync(TimeSpan timeout, params string[] arguments) => RunAsync(timeout, new Dictionary<string, string>(), arguments);

    /// <summary>Runs a command with <paramref name="environment"/> added to this process's environment.</summary>
    public static async Task<Result> RunAsync(TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "multiraft.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // A hung command must not outlive its test.
            throw new TimeoutException($"multiraft {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s");
        }
        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>Runs the command until <paramref name="done"/> holds for its JSON (what it waits for goes
    /// through Raft and PD's heartbeats, so it takes a while on a loaded machine), and returns that run.</summary>
    public static async Task<Result> UntilAsync(Func<JsonElement, bool> done, string waitingFor, params string[] arguments)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var result = await RunAsync(arguments);
            Assert.True(result.ExitCode == 0, $"{string.Join(' ', arguments)} failed: {result.Error}");
            if (done(result.Json))
            {
                return result;
            }
            Assert.True(DateTime.UtcNow < deadline, $"never saw {waitingFor}; last: {result.Out}");
            await Task.Delay(250);
        }
    }

    /// <summary>A number as a command-line argument.</summary>
    public static string Arg(ulong value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Runs a command that must fail, and checks its exit code and that its message says <paramref name="says"/>.</summary>
    public static async Task FailsAsync(int exitCode, string says, params string[] arguments)
    {
        var result = await RunAsync(arguments);
        Assert.True(result.ExitCode == exitCode, $"{string.Join(' ', arguments)}: exit {result.ExitCode}, not {exitCode}; {result.Error}");
        Assert.Contains(says, result.Error, StringComparison.Ordinal);
    }
}
