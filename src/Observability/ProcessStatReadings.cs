namespace Mesh.Observability;

/// <summary>
/// The three instruments read from <c>/proc/self/stat</c> (resident size, virtual size, threads) share one read per
/// collection: the first of them a collection observes reads the file, and the others take their values from that
/// read. A value already taken is read again, so every collection gets a fresh read, in whatever order the instruments
/// are observed and whichever of them a view drops.
/// </summary>
internal sealed class ProcessStatReadings(Func<ProcSelfStat> read)
{
    private readonly Lock _lock = new();
    private ProcSelfStat _stat;
    private Values _taken = Values.All;

    public long ResidentBytes() => Take(Values.Resident).ResidentBytes;

    public long VirtualBytes() => Take(Values.Virtual).VirtualBytes;

    public int Threads() => Take(Values.Threads).Threads;

    private ProcSelfStat Take(Values value)
    {
        lock (_lock)
        {
            if ((_taken & value) != 0)
            {
                _stat = read();
                _taken = Values.None;
            }

            _taken |= value;
            return _stat;
        }
    }

    [Flags]
    private enum Values
    {
        None = 0,
        Resident = 1,
        Virtual = 2,
        Threads = 4,
        All = Resident | Virtual | Threads,
    }
}
