using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Mesh.ApiLoad;

/// <summary>
/// The measured calls: Describe and List on a mesh of 100 nodes; Create in one mesh and in a mesh per client;
/// Update of many nodes; Delete. Every mesh is named after the run, so runs never share data.
/// </summary>
internal sealed class ApiCells(LoadOptions options, string run)
{
    /// <summary>The nodes of the mesh Describe and List read, and the List cell's page size.</summary>
    public const int ReadNodes = 100;

    /// <summary>The cell of unsigned GETs of /healthz: the web stack's own ceiling (no SigV4, no PostgreSQL) for a Describe.</summary>
    public const string HealthzCell = "Healthz: GET /healthz, no SigV4, no PostgreSQL";

    private readonly string readMesh = $"{run}-read";
    private readonly ConcurrentBag<string> meshes = [];
    private readonly GcPauses pauses = new(options.Api);

    /// <summary>The mesh Describe and List read (made by <see cref="PrepareAsync"/>).</summary>
    public string ReadMesh => readMesh;

    public SignedClient Connect(int client) => new(options.Api, options.Credentials, options.Region);

    public async Task PrepareAsync()
    {
        using var client = Connect(0);
        await CreateMeshAsync(client, readMesh);
        await Parallel.ForEachAsync(Enumerable.Range(0, ReadNodes), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            using var connection = Connect(i);
            Require(await connection.SendAsync(HttpMethod.Put, $"/v20190125/meshes/{readMesh}/virtualNodes",
                NodeBodies.Create($"node-{i}", $"node-{i}.{readMesh}.local", clientToken: null)), "create a node to read");
        });
    }

    /// <summary>
    /// Runs every cell's calls, unmeasured, for <paramref name="perCell"/> each, in meshes of their own, and repeats
    /// that pass until the API's JIT was quiet through one (<see cref="JitQuiet"/>). After a start the API's code is
    /// recompiled (tier 1) while the calls go on, for about its first 30,000 Describes; without this pass the first
    /// measured cell (Describe at the first client count) carried that warm-up and read 20–35% low (issue14ac), and
    /// with one pass of 5 s a cell the write cells still did on a busy machine (issue14ae).
    /// </summary>
    public async Task PrewarmAsync(int clients, TimeSpan perCell)
    {
        for (var pass = 1; ; pass++)
        {
            var before = await pauses.ReadAsync();
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            foreach (var (result, _) in await RunEveryCellAsync($"warm{pass}", clients, Ceilings.None, perCell))
            {
                Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"   warm-up {result.Name}: {result.PerSecond:0} req/s (first third {result.Trend.FirstThirdPerSecond:0}, last {result.Trend.LastThirdPerSecond:0}){(result.Failed > 0 ? $", {result.Failed} failed" : "")}"));
            }

            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            var compiled = (await pauses.ReadAsync()).ApiJitMethods - before.ApiJitMethods;
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"   warm-up pass {pass}: the API's JIT compiled {compiled:0} methods in {elapsed.TotalSeconds:0} s ({compiled / elapsed.TotalSeconds:0.0} a second)"));
            if (JitQuiet.Is(compiled, elapsed))
            {
                return;
            }

            if (pass == JitQuiet.MaxPasses)
            {
                Console.WriteLine($"   warning: the API's JIT was still compiling after {pass} warm-up passes; the cells may measure tiering (a longer --prewarm)");
                return;
            }
        }
    }

    public async Task<IReadOnlyList<(CellResult Result, Ratio[] Ratios)>> RunAllAsync(int clients, Ceilings ceilings)
    {
        var measured = new List<(CellResult Result, Ratio[] Ratios)>();
        foreach (var result in await RunEveryCellAsync($"c{clients}", clients, ceilings, null))
        {
            if (options.Runs(result.Result.Name))
            {
                measured.Add(result);
            }
        }

        return measured;
    }

    /// <summary>Every cell in order; <paramref name="unmeasured"/> set runs each for that long, unmeasured, as the warm-up pass.</summary>
    private async Task<IReadOnlyList<(CellResult Result, Ratio[] Ratios)>> RunEveryCellAsync(
        string tag, int clients, Ceilings ceilings, TimeSpan? unmeasured)
    {
        Task<CellResult> RunAsync(string name, int clients, Cell.Call call) =>
            unmeasured is { } time ? Cell.RunAsync(name, clients, Connect, TimeSpan.Zero, time, call) : this.RunAsync(name, clients, call);

        var results = new List<(CellResult, Ratio[])>();
        var oneMesh = $"{run}-{tag}-one";
        using (var setup = Connect(0))
        {
            await CreateMeshAsync(setup, oneMesh);
            for (var client = 0; client < clients; client++)
            {
                await CreateMeshAsync(setup, $"{run}-{tag}-m{client}");
            }
        }

        var pkSelect = new Ratio("PK select", ceilings.Select);
        var healthz = double.NaN;
        if (unmeasured is null && options.Runs(HealthzCell))
        {
            var web = await Cell.RunAsync(HealthzCell, clients, Connect, options.Warmup, options.Measured, async (_, connection, _) =>
                await connection.SendAsync(HttpMethod.Get, "/healthz", signed: false), pauses);
            healthz = web.PerSecond;
            results.Add((web, []));
        }

        results.Add((await WithUpdatesBesideAsync(unmeasured, () => RunAsync("DescribeVirtualNode", clients, async (c, connection, i) =>
            await connection.SendAsync(HttpMethod.Get, $"/v20190125/meshes/{readMesh}/virtualNodes/node-{(c * 7919 + i) % ReadNodes}"))),
            [pkSelect, new Ratio("/healthz", healthz)]));
        results.Add((await WithUpdatesBesideAsync(unmeasured, () => RunAsync($"ListVirtualNodes ({ReadNodes})", clients, async (c, connection, i) =>
            await connection.SendAsync(HttpMethod.Get, $"/v20190125/meshes/{readMesh}/virtualNodes?limit={ReadNodes}"))),
            [pkSelect, new Ratio("its page statement", ceilings.ListPage), new Ratio("its kept page's statement", ceilings.KeptPage)]));
        Ratio[] insert = [new Ratio("insert", ceilings.Insert)];

        // Each client remembers what it created, for the update and delete cells that follow.
        var created = Enumerable.Range(0, clients).Select(_ => new List<string>()).ToArray();
        results.Add((await RunAsync("CreateVirtualNode, one mesh", clients, async (c, connection, i) =>
        {
            var name = $"w{c}-{i}";
            var answer = await connection.SendAsync(HttpMethod.Put, $"/v20190125/meshes/{oneMesh}/virtualNodes",
                NodeBodies.Create(name, $"{name}.{oneMesh}.local", Guid.NewGuid().ToString()));
            if (answer.Ok)
            {
                created[c].Add(name);
            }

            return answer;
        }), insert));
        results.Add((await RunAsync("CreateVirtualNode, mesh per client", clients, async (c, connection, i) =>
            await connection.SendAsync(HttpMethod.Put, $"/v20190125/meshes/{run}-{tag}-m{c}/virtualNodes",
                NodeBodies.Create($"n{i}", $"n{i}.local", Guid.NewGuid().ToString()))), insert));
        results.Add((await RunAsync("UpdateVirtualNode, many nodes", clients, async (c, connection, i) =>
            created[c].Count == 0
                ? null
                : await connection.SendAsync(HttpMethod.Put, $"/v20190125/meshes/{oneMesh}/virtualNodes/{created[c][i % created[c].Count]}",
                    NodeBodies.Update($"updated-{i}.local", 8000 + i % 1000, Guid.NewGuid().ToString()))), insert));
        // Deletes share one queue of everything the clients created, so when the nodes run out (at high rates the
        // cell can delete all of them) every client stops within one call of the others; with a list per client,
        // the clients that had created fewer stopped first and the cell's tail ran with fewer clients than it names.
        var toDelete = new ConcurrentQueue<string>(
            Enumerable.Range(0, created.Max(names => names.Count)).SelectMany(i => created.Where(names => i < names.Count).Select(names => names[i])));
        results.Add((await RunAsync("DeleteVirtualNode, one mesh", clients, async (c, connection, i) =>
            !toDelete.TryDequeue(out var name)
                ? null
                : await connection.SendAsync(HttpMethod.Delete, $"/v20190125/meshes/{oneMesh}/virtualNodes/{name}")), insert));
        return results;
    }

    /// <summary>
    /// Runs a read cell with <see cref="LoadOptions.BesideUpdates"/> clients updating the read mesh's nodes beside it
    /// (none in the warm-up pass, <paramref name="unmeasured"/>): each write's change-log row is a row every later read
    /// barrier of a <c>Mesh:ReadCache</c> API reads, and drops the answer it kept for the node.
    /// </summary>
    private async Task<CellResult> WithUpdatesBesideAsync(TimeSpan? unmeasured, Func<Task<CellResult>> cell)
    {
        if (options.BesideUpdates <= 0 || unmeasured is not null)
        {
            return await cell();
        }

        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, options.BesideUpdates).Select(writer => Task.Run(async () =>
        {
            using var connection = Connect(writer);
            var (updated, failed) = (0, 0);
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var node = (writer * 7919 + i * 37) % ReadNodes;
                var answer = await connection.SendAsync(HttpMethod.Put, $"/v20190125/meshes/{readMesh}/virtualNodes/node-{node}",
                    NodeBodies.Update($"node-{node}.{readMesh}.local", 8000 + i % 1000, clientToken: null));
                (updated, failed) = answer.Ok ? (updated + 1, failed) : (updated, failed + 1);
            }

            return (Updated: updated, Failed: failed);
        })).ToList();
        var result = await cell();
        await stop.CancelAsync();
        var written = await Task.WhenAll(writers);
        Console.WriteLine($"   beside {result.Name} at {result.Clients} client(s): {options.BesideUpdates} client(s) updated the read mesh's nodes "
            + $"{written.Sum(w => w.Updated)} times (warm-up included), {written.Sum(w => w.Failed)} failed");
        return result;
    }

    /// <summary>Deletes what the run left (not measured): the nodes of every mesh, then the meshes.</summary>
    public async Task CleanUpAsync()
    {
        foreach (var mesh in meshes)
        {
            using var client = Connect(0);
            for (var page = await client.SendAsync(HttpMethod.Get, $"/v20190125/meshes/{mesh}/virtualNodes?limit=100", keepBody: true);
                 page.Ok && JsonNode.Parse(page.Body)!["virtualNodes"]!.AsArray() is { Count: > 0 } nodes;
                 page = await client.SendAsync(HttpMethod.Get, $"/v20190125/meshes/{mesh}/virtualNodes?limit=100", keepBody: true))
            {
                await Parallel.ForEachAsync(nodes.Select(n => n!["virtualNodeName"]!.GetValue<string>()), new ParallelOptions { MaxDegreeOfParallelism = 8 },
                    async (name, _) =>
                    {
                        using var connection = Connect(0);
                        await connection.SendAsync(HttpMethod.Delete, $"/v20190125/meshes/{mesh}/virtualNodes/{name}");
                    });
            }

            await client.SendAsync(HttpMethod.Delete, $"/v20190125/meshes/{mesh}");
        }
    }

    /// <summary>Runs the cell, or, when --only leaves it out, still does its work (later cells use what it created) unmeasured and briefly.</summary>
    private Task<CellResult> RunAsync(string name, int clients, Cell.Call call) =>
        options.Runs(name)
            ? Cell.RunAsync(name, clients, Connect, options.Warmup, options.Measured, call, pauses)
            : Cell.RunAsync(name, clients, Connect, TimeSpan.Zero, TimeSpan.FromSeconds(1), call);

    private async Task CreateMeshAsync(SignedClient client, string mesh)
    {
        Require(await client.SendAsync(HttpMethod.Put, "/v20190125/meshes", new JsonObject { ["meshName"] = mesh }), $"create mesh {mesh}");
        meshes.Add(mesh);
    }

    internal static void Require(Answer answer, string what)
    {
        if (!answer.Ok)
        {
            throw new InvalidOperationException($"Could not {what}: {answer.Outcome} {answer.Body}");
        }
    }
}

/// <summary>What serves a cell's calls without (part of) the API, measured in the same run at the same clients; NaN: not measured.</summary>
internal readonly record struct Ceilings(double Select, double Insert, double ListPage, double KeptPage)
{
    public static Ceilings None => new(double.NaN, double.NaN, double.NaN, double.NaN);
}

/// <summary>One ceiling a cell's rate is divided by: its name and its rate (NaN: not measured).</summary>
internal readonly record struct Ratio(string Name, double PerSecond);
