using MultiRaft.PlacementDriver.Scheduling;
using Spectre.Console;

namespace MultiRaft.Cli;

/// <summary>
/// Shows operators advancing while a command waits for them: one live progress bar per operator on a terminal,
/// a plain line per change when stdout is redirected (no cursor to move there), nothing with <c>--json</c> (stdout
/// then carries only the result object).
/// </summary>
internal abstract class OperatorProgress
{
    public static OperatorProgress For(bool json) => json ? new Silent() : Terminal.IsInteractive ? new Bars() : new Lines();

    /// <summary>Runs <paramref name="body"/>, which reports the operators (as they stand) each time it looks.</summary>
    public abstract Task<T> RunAsync<T>(Func<Action<IEnumerable<OperatorView>>, Task<T>> body);

    protected static string Describe(OperatorView o) =>
        $"operator {o.Id}: {o.Kind} of region {o.RegionId} ({o.Scheduler}), step {OperatorCommands.StepOf(o)}, {o.State}";

    private sealed class Silent : OperatorProgress
    {
        public override Task<T> RunAsync<T>(Func<Action<IEnumerable<OperatorView>>, Task<T>> body) => body(static _ => { });
    }

    private sealed class Lines : OperatorProgress
    {
        public override Task<T> RunAsync<T>(Func<Action<IEnumerable<OperatorView>>, Task<T>> body)
        {
            var shown = new Dictionary<long, string>();
            return body(operators =>
            {
                foreach (var o in operators)
                {
                    var line = Describe(o);
                    if (!shown.TryGetValue(o.Id, out var last) || last != line)
                    {
                        shown[o.Id] = line;
                        Console.WriteLine(line);
                    }
                }
            });
        }
    }

    private sealed class Bars : OperatorProgress
    {
        public override Task<T> RunAsync<T>(Func<Action<IEnumerable<OperatorView>>, Task<T>> body) =>
            Terminal.Out.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new ElapsedTimeColumn())
                .StartAsync(context =>
                {
                    var bars = new Dictionary<long, ProgressTask>();
                    return body(operators =>
                    {
                        foreach (var o in operators)
                        {
                            var description = Markup.Escape(Describe(o));
                            if (!bars.TryGetValue(o.Id, out var bar))
                            {
                                bar = bars[o.Id] = context.AddTask(description, maxValue: o.Steps.Length);
                            }
                            bar.Description = description;
                            bar.Value = o.State == OperatorState.Finished ? o.Steps.Length : o.CurrentStep;
                            if (o.State != OperatorState.Running)
                            {
                                bar.StopTask();
                            }
                        }
                        context.Refresh();
                    });
                });
    }
}
