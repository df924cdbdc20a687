namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// Waits for a condition that another task will make true (a background feed, a stream's bookkeeping). It only
/// ever fails by timing out, so it never turns a slow machine into a wrong answer.
/// </summary>
public static class Eventually
{
    public static Task<T> ValueAsync<T>(Func<Task<T?>> probe)
        where T : class => ValueAsync(probe, TaskTimeouts.Default);

    /// <summary>With a time of its own, for what takes a loaded machine longer than a stream's step (a process's start).</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T?>> probe, TimeSpan within)
        where T : class
    {
        using var timeout = new CancellationTokenSource(within);
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    public static Task TrueAsync(Func<Task<bool>> probe) => TrueAsync(probe, TaskTimeouts.Default);

    public static async Task TrueAsync(Func<Task<bool>> probe, TimeSpan within)
    {
        await ValueAsync<object>(async () => await probe() ? new object() : null, within);
    }

    public static Task TrueAsync(Func<bool> probe) => TrueAsync(() => Task.FromResult(probe()));
}
