using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Mesh.ApiLoad;

/// <summary>
/// What a freshly started API costs for its first Describes: the wall time and the API process's CPU (its
/// /proc/&lt;pid&gt;/stat ticks) until the 1st, 100th, 1,000th, 10,000th, 30,000th and 60,000th answer, with every client calling as fast
/// as answers come back. The mesh it reads is made by <c>--first-calls prepare</c> before the API is restarted, so the
/// measured process has served nothing but /healthz when the first call arrives.
/// </summary>
internal static class FirstCalls
{
    public const string Mesh = "first-calls-read";
    private const int Nodes = 100;
    private static readonly int[] Checkpoints = [1, 100, 1_000, 10_000, 30_000, 60_000];

    /// <summary>Makes the mesh and its nodes (a conflict means an earlier prepare made them).</summary>
    public static async Task PrepareAsync(LoadOptions options)
    {
        using var client = new SignedClient(options.Api, options.Credentials, options.Region);
        var mesh = await client.SendAsync(HttpMethod.Put, "/v20190125/meshes", new JsonObject { ["meshName"] = Mesh });
        if (!mesh.Ok && mesh.Status != 409)
        {
            ApiCells.Require(mesh, $"create mesh {Mesh}");
        }

        for (var i = 0; i < Nodes; i++)
        {
            var node = await client.SendAsync(HttpMethod.Put, $"/v20190125/meshes/{Mesh}/virtualNodes",
                new JsonObject { ["virtualNodeName"] = $"node-{i}", ["spec"] = Specs.Node($"node-{i}.{Mesh}.local") });
            if (!node.Ok && node.Status != 409)
            {
                ApiCells.Require(node, "create a node to read");
            }
        }

        Console.WriteLine($"first calls: mesh {Mesh} has {Nodes} nodes; restart the API, wait for /healthz, then run --first-calls measure --api-pid <pid>");
    }

    public static async Task<int> MeasureAsync(LoadOptions options, int apiPid)
    {
        var clients = options.Clients[0];
        var ticksPerSecond = 100.0; // USER_HZ: every Linux this runs on
        var load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        var cpuAtStart = CpuTicks(apiPid);
        var started = Stopwatch.GetTimestamp();
        var reached = new (double Seconds, long Ticks)[Checkpoints.Length];
        var answered = 0;
        var failed = 0;
        var last = Checkpoints[^1];

        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            using var connection = new SignedClient(options.Api, options.Credentials, options.Region);
            for (var i = 0; Volatile.Read(ref answered) < last; i++)
            {
                var answer = await connection.SendAsync(HttpMethod.Get, $"/v20190125/meshes/{Mesh}/virtualNodes/node-{(c * 7919 + i) % Nodes}");
                if (!answer.Ok)
                {
                    Interlocked.Increment(ref failed);
                }

                var n = Interlocked.Increment(ref answered);
                var checkpoint = Array.IndexOf(Checkpoints, n);
                if (checkpoint >= 0)
                {
                    reached[checkpoint] = (Stopwatch.GetElapsedTime(started).TotalSeconds, CpuTicks(apiPid) - cpuAtStart);
                }
            }
        })));

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"first calls: {clients} clients, API pid {apiPid}, load average {load} at the start, {failed} failed"));
        Console.WriteLine("| Describes answered | wall s | API CPU s | API CPU ms per call since the previous row |");
        Console.WriteLine("|---|---|---|---|");
        var (previousCalls, previousTicks) = (0, 0L);
        for (var i = 0; i < Checkpoints.Length; i++)
        {
            var (seconds, ticks) = reached[i];
            var perCall = (ticks - previousTicks) / ticksPerSecond * 1000 / (Checkpoints[i] - previousCalls);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {Checkpoints[i]:N0} | {seconds:0.000} | {ticks / ticksPerSecond:0.00} | {perCall:0.000} |"));
            (previousCalls, previousTicks) = (Checkpoints[i], ticks);
        }

        return failed == 0 ? 0 : 1;
    }

    /// <summary>utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/&lt;pid&gt;/stat).</summary>
    private static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
