using System.Diagnostics;

namespace Mesh.Benchmarks;

/// <summary>
/// <c>--loop-identity &lt;iterations&gt;</c>: <see cref="FleetChangeBenchmarks"/>' per-identity stages (the other
/// clients in turn) without BenchmarkDotNet, each in rounds taken in turn, printing CPU (of the whole process, which
/// does nothing else) and bytes allocated per identity. On a machine others load, CPU per operation moves far less
/// than the wall time BenchmarkDotNet reports, and taking the stages in turn puts each in the same load.
/// </summary>
internal static class IdentityLoop
{
    public static void Run(int iterations)
    {
        var fleet = new FleetChangeBenchmarks();
        fleet.Setup();
        (string Label, Func<object> Stage)[] stages =
        [
            ("translate and check", fleet.IdentityCheck),
            ("translate, check and build", fleet.IdentitySnapshot),
            ("build: join only", () => fleet.IdentityJoinOnly()),
            ("build: versions only, plain", () => fleet.IdentityVersionsOnly()),
        ];

        foreach (var (_, stage) in stages)
        {
            for (var i = 0; i < iterations / 10; i++)
            {
                stage(); // not counted: tier-up
            }
        }

        for (var round = 0; round < 3; round++)
        {
            foreach (var (label, stage) in stages)
            {
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < iterations; i++)
                {
                    stage();
                }

                cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
                Console.WriteLine($"round {round}, {label}: {watch.Elapsed.TotalMicroseconds / iterations:F2} µs wall, " +
                    $"{cpu.TotalMicroseconds / iterations:F2} µs CPU, {(double)allocated / iterations:F0} bytes allocated per identity");
            }
        }

        fleet.Cleanup();
    }
}
