using System.Diagnostics;

namespace Mesh.Benchmarks;

/// <summary>
/// <c>--loop-identity &lt;iterations&gt;</c>: <see cref="FleetChangeBenchmarks"/>' per-identity stages (the other
/// clients in turn) without BenchmarkDotNet, each in rounds taken in turn, printing CPU (of the whole process, which
/// does nothing else) and bytes allocated per identity. On a machine others load, CPU per operation moves far less
/// than the wall time BenchmarkDotNet reports, and taking the stages in turn puts each in the same load. The last
/// stage runs every other client's join at once across cores, as a change does, and each stage prints the lock
/// contentions it met (<see cref="Monitor.LockContentionCount"/>): against the join alone, what the parallel joins
/// lose to their shared versioning's lock.
/// </summary>
internal static class IdentityLoop
{
    public static void Run(int iterations)
    {
        var fleet = new FleetChangeBenchmarks();
        fleet.Setup();
        // Each stage with the identities one call of it builds: the parallel joins make every other client's at once.
        (string Label, Func<object> Stage, int Identities)[] stages =
        [
            ("translate and check", fleet.IdentityCheck, 1),
            ("translate, check and build", fleet.IdentitySnapshot, 1),
            ("build: join only", () => fleet.IdentityJoinOnly(), 1),
            ("build: versions only, plain", () => fleet.IdentityVersionsOnly(), 1),
            ("build: join only, every client in parallel", () => fleet.JoinsInParallel(), fleet.OtherClients),
        ];

        foreach (var (_, stage, identities) in stages)
        {
            for (var i = 0; i < iterations / 10 / identities; i++)
            {
                stage(); // not counted: tier-up
            }
        }

        for (var round = 0; round < 3; round++)
        {
            foreach (var (label, stage, identities) in stages)
            {
                var calls = Math.Max(1, iterations / identities);
                var built = calls * identities;

                // The parallel stage's joins allocate on pool threads: counted on every thread, so not exact.
                Func<long> allocatedBytes = identities == 1 ? GC.GetAllocatedBytesForCurrentThread : () => GC.GetTotalAllocatedBytes(precise: true);
                var allocated = allocatedBytes();
                var contentions = Monitor.LockContentionCount;
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < calls; i++)
                {
                    stage();
                }

                cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                allocated = allocatedBytes() - allocated;
                contentions = Monitor.LockContentionCount - contentions;
                Console.WriteLine($"round {round}, {label}: {watch.Elapsed.TotalMicroseconds / built:F2} µs wall, " +
                    $"{cpu.TotalMicroseconds / built:F2} µs CPU, {(double)allocated / built:F0} bytes allocated per identity, {contentions} lock contentions");
            }
        }

        fleet.Cleanup();
    }
}
