namespace Mesh.XdsServer.Hosting;

/// <summary>
/// What the process has spent, read at two points to tell what lay between them: CPU, allocations, and the garbage
/// collector's collections and pauses. The stop logs it (<see cref="StopListeningFirst"/>) because a stop under
/// thousands of streams is CPU work, and the collector's share of it decides whether a cut there is worth making.
/// </summary>
internal readonly record struct ProcessCost(TimeSpan Cpu, long AllocatedBytes, int Collections, int Gen1Collections, int Gen2Collections, TimeSpan Paused)
{
    public static ProcessCost Now() => new(
        Environment.CpuUsage.TotalTime,
        GC.GetTotalAllocatedBytes(),
        // A collection of a generation collects the younger ones too, and each count includes the older ones'.
        GC.CollectionCount(0),
        GC.CollectionCount(1),
        GC.CollectionCount(2),
        GC.GetTotalPauseDuration());

    public ProcessCost Since(ProcessCost start) => new(
        Cpu - start.Cpu,
        AllocatedBytes - start.AllocatedBytes,
        Collections - start.Collections,
        Gen1Collections - start.Gen1Collections,
        Gen2Collections - start.Gen2Collections,
        Paused - start.Paused);
}
