namespace Mesh.XdsServer;

/// <summary>Raising a shared high-water mark from many threads without a lock.</summary>
internal static class InterlockedMax
{
    /// <summary>Sets <paramref name="location"/> to <paramref name="value"/> if that is higher, however many threads race to.</summary>
    public static void Raise(ref long location, long value)
    {
        var seen = Volatile.Read(ref location);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref location, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}
