namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// What a piece of work allocates on the calling thread, over several rounds with the noisiest set aside. The runtime
/// itself allocates on a thread now and then while the test process is busy (a tiering worker started when a method's
/// call count runs out, say), in a round or two at most. Work that allocates each call does so in every round; work
/// whose storage grows as it runs (a list that doubles) allocates in more rounds than that, at each doubling, so it
/// shows too, where the least of the rounds would have hidden it.
/// </summary>
public static class ThreadAllocations
{
    /// <summary>The largest a round allocated once the <paramref name="noisyRounds"/> largest are set aside.</summary>
    public static long InMostRounds(Action work, int rounds = 10, int noisyRounds = 2)
    {
        var allocated = new long[rounds];
        for (var round = 0; round < rounds; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            work();
            allocated[round] = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Array.Sort(allocated);
        return allocated[rounds - 1 - noisyRounds];
    }
}
