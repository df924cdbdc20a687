namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// What a piece of work allocates on the calling thread, as the least over several rounds. The runtime itself
/// allocates on a thread now and then while the test process is busy (a tiering worker started when a method's call
/// count runs out, say), never in every round; work that allocates does so in each, so the least still shows it.
/// </summary>
public static class ThreadAllocations
{
    public static long LeastOf(Action work, int rounds = 5)
    {
        var least = long.MaxValue;
        for (var round = 0; round < rounds; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            work();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
