namespace MultiRaft.Transport.Tests;

internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> for up to 10 s; fails with <paramref name="what"/>.</summary>
    public static async Task True(Func<bool> condition, string what)
    {
        for (var i = 0; i < 400 && !condition(); i++)
        {
            await Task.Delay(25);
        }
        Assert.True(condition(), what);
    }
}
