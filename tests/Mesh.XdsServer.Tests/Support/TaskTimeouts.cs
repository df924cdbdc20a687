namespace Mesh.XdsServer.Tests.Support;

/// <summary>Every await in a stream test carries a timeout, so a hang fails fast instead of stalling the run.</summary>
public static class TaskTimeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(15);

    public static Task DefaultTimeout(this Task task) => task.WaitAsync(Default);

    public static Task<T> DefaultTimeout<T>(this Task<T> task) => task.WaitAsync(Default);

    public static CancellationToken Token() => new CancellationTokenSource(Default).Token;
}
