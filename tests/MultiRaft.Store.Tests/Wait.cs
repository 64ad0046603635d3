namespace MultiRaft.Store.Tests;

internal static class Wait
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails naming <paramref name="what"/> after
    /// <paramref name="seconds"/> (20 s unless a test knows its wait is long under a loaded CI machine).</summary>
    public static async Task Until(Func<bool> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }
}
