using Spectre.Console;

namespace MultiRaft.Cli;

/// <summary>
/// Where the ops commands' readable output goes: a Spectre.Console console that draws bordered tables and live
/// progress on a terminal. When stdout is redirected (a pipe, a file, a test capturing it) there is no width to
/// fit and escape codes would be noise, so the same tables come out borderless, uncoloured and unwrapped.
/// </summary>
internal static class Terminal
{
    // Wide enough that no row of ours wraps; Spectre would otherwise assume 80 columns for a pipe.
    private const int RedirectedWidth = 4096;

    public static bool IsInteractive { get; } = !Console.IsOutputRedirected;

    public static IAnsiConsole Out { get; } = Create();

    private static IAnsiConsole Create()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = IsInteractive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = IsInteractive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = IsInteractive ? InteractionSupport.Detect : InteractionSupport.No,
            Out = new AnsiConsoleOutput(Console.Out),
        });
        if (!IsInteractive)
        {
            console.Profile.Width = RedirectedWidth;
        }
        return console;
    }

    /// <summary>A table with a header row; cells are plain text (never read as Spectre markup).</summary>
    public static void Table(string[] header, IEnumerable<string[]> rows)
    {
        var table = new Table().Border(IsInteractive ? TableBorder.Rounded : TableBorder.None);
        foreach (var column in header)
        {
            table.AddColumn(new TableColumn(new Text(column)));
        }
        foreach (var row in rows)
        {
            table.AddRow(Array.ConvertAll(row, cell => (Spectre.Console.Rendering.IRenderable)new Text(cell)));
        }
        Out.Write(table);
    }
}
