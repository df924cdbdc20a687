using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// `--loop-fleet-change <seconds>` repeats FleetChangeBenchmarks.Reload for that long (after ten changes not
// counted) without BenchmarkDotNet and prints wall and CPU time per change; a profiler (perf record -p,
// dotnet-trace collect -p) can attach to the process, which does nothing else. It also prints, per change, the
// process's lock contentions (Monitor.LockContentionCount, which counts System.Threading.Lock's too: the producer
// builds the identities in parallel), its allocation on every thread, and how many changes a gen2 collection came
// every (what was retired with a change and left to a finaliser waits about that long).
if (args is ["--loop-fleet-change", var seconds])
{
    var fleet = new Mesh.Benchmarks.FleetChangeBenchmarks();
    fleet.Setup();
    for (var warmup = 0; warmup < 10; warmup++)
    {
        fleet.Reload(); // not counted: the first changes are mostly the JIT
    }

    var until = DateTime.UtcNow.AddSeconds(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture));
    var changes = 0;
    var watch = System.Diagnostics.Stopwatch.StartNew();
    var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
    var contentions = System.Threading.Monitor.LockContentionCount;
    var allocated = GC.GetTotalAllocatedBytes(precise: true);
    var gen2 = GC.CollectionCount(2);
    while (DateTime.UtcNow < until)
    {
        fleet.Reload();
        changes++;
    }

    cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu;
    contentions = System.Threading.Monitor.LockContentionCount - contentions;
    allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
    gen2 = GC.CollectionCount(2) - gen2;
    Console.WriteLine($"{changes} route changes, {watch.Elapsed.TotalMilliseconds / changes:F1} ms each, {cpu.TotalMilliseconds / changes:F1} ms of CPU each (pid {Environment.ProcessId})");
    Console.WriteLine($"per change: {(double)contentions / changes:F2} lock contentions, {allocated / 1024.0 / changes:F0} KB allocated (all threads); " +
        $"a gen2 collection every {(gen2 == 0 ? "-" : ((double)changes / gen2).ToString("F1", System.Globalization.CultureInfo.InvariantCulture))} changes, " +
        $"{GC.GetGCMemoryInfo(GCKind.Any).FinalizationPendingCount} objects left to finalise at the last");
    fleet.Cleanup();
    return;
}

// `--loop-mesh-read <nodes> <reads>` times the xDS server's mesh read per change against a throwaway PostgreSQL,
// before (every row) and after (only the changed rows in full); see MeshReadLoop.
if (args is ["--loop-mesh-read", var nodes, var reads])
{
    await Mesh.Benchmarks.MeshReadLoop.RunAsync(int.Parse(nodes, System.Globalization.CultureInfo.InvariantCulture), int.Parse(reads, System.Globalization.CultureInfo.InvariantCulture));
    return;
}

// `--loop-ack-parse <iterations>` reads one SotW ACK carrying a 49 KB node through the server's marshaller that
// many times (three rounds) and prints CPU and allocation per ACK; see AckParseLoop.
if (args is ["--loop-ack-parse", var iterations])
{
    Mesh.Benchmarks.AckParseLoop.Run(int.Parse(iterations, System.Globalization.CultureInfo.InvariantCulture));
    return;
}

// `--loop-identity <iterations>` runs FleetChangeBenchmarks' per-identity stages that many times each, in three
// rounds taken in turn, and prints CPU and allocation per identity; see IdentityLoop.
if (args is ["--loop-identity", var identities])
{
    Mesh.Benchmarks.IdentityLoop.Run(int.Parse(identities, System.Globalization.CultureInfo.InvariantCulture));
    return;
}

// Benchmarks run in this process (BenchmarkDotNet's --inProcess): its default, a fresh build per job, recompiles
// the Envoy protos each time for nothing. Pick benchmarks with its own arguments, e.g. --filter '*Propagation*';
// --list flat lists them; --job short gives quicker, rougher figures.
var config = DefaultConfig.Instance.WithArtifactsPath(Path.Combine(Path.GetTempPath(), "mesh-benchmarks"));
BenchmarkSwitcher.FromAssembly(typeof(Mesh.Benchmarks.SyntheticMesh).Assembly).Run(["--inProcess", .. args], config);
