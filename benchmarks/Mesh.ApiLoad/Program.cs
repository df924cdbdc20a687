using System.Globalization;
using Mesh.ApiLoad;

if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(LoadOptions.Usage);
    return 0;
}

LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (Exception error) when (error is ArgumentException or IOException or InvalidOperationException or FormatException)
{
    Console.Error.WriteLine($"error: {error.Message}\n{LoadOptions.Usage}");
    return 2;
}

if (options.FirstCalls == "prepare")
{
    await FirstCalls.PrepareAsync(options);
    return 0;
}

if (options.FirstCalls == "measure")
{
    if (options.ApiPid <= 0)
    {
        Console.Error.WriteLine("error: --first-calls measure needs --api-pid <the API's process id>.");
        return 2;
    }

    return await FirstCalls.MeasureAsync(options, options.ApiPid);
}

var pgbenchPath = PgBench.Find();
if (pgbenchPath is null)
{
    Console.Error.WriteLine("error: pgbench not found (it ships with the PostgreSQL server binaries; set MESH_PG_BIN).");
    return 2;
}

Console.WriteLine($"Mesh API load: {options.Api}, {Environment.ProcessorCount} cores, {options.Warmup.TotalSeconds:0} s warm-up + {options.Measured.TotalSeconds:0} s per cell");
var pgbench = new PgBench(pgbenchPath, options.Postgres);

// PostgreSQL's ceilings are measured first, before the API has been driven: after the warm-up at the most clients the
// API's pools hold their connections (idle, until their lifetime), and pgbench's own 32 more could then pass the
// server's max_connections (100) and fail the run with "too many clients".
var ceilings = new Dictionary<int, (double Select, double Insert)>();
if (options.WithPgBench)
{
    await pgbench.PrepareAsync();
    foreach (var clients in options.Clients)
    {
        ceilings[clients] = (await pgbench.SelectByKeyAsync(clients, options.Measured), await pgbench.InsertRowAsync(clients, options.Measured));
    }
}

var run = $"load-{DateTime.UtcNow:HHmmss}";
var cells = new ApiCells(options, run);
await cells.PrepareAsync();

// The list page's own ceiling needs the mesh the List cell reads, so it follows the preparation; it comes before the
// warm-up for the same reason as the others (the API's pools hold few connections yet).
// Two statements: the page's rows (what a List with an item not kept reads, and every List before issue14as) and its
// keys alone (what a List of kept items reads since then).
var listPages = new Dictionary<int, (double Rows, double Keys)>();
if (options.WithPgBench && options.Runs("ListVirtualNodes"))
{
    foreach (var clients in options.Clients)
    {
        listPages[clients] = (await pgbench.ListPageAsync(clients, options.Measured, cells.ReadMesh, ApiCells.ReadNodes),
            await pgbench.KeptPageAsync(clients, options.Measured, cells.ReadMesh, ApiCells.ReadNodes));
    }
}
if (options.Prewarm > TimeSpan.Zero)
{
    Console.WriteLine($"-- warm-up pass, not measured: every cell at {options.Clients.Max()} client(s), {options.Prewarm.TotalSeconds:0} s each, repeated until the API's JIT is quiet");
    await cells.PrewarmAsync(options.Clients.Max(), options.Prewarm);
}

var rows = new List<string>();
foreach (var clients in options.Clients)
{
    var (select, insert) = ceilings.TryGetValue(clients, out var measured) ? measured : (double.NaN, double.NaN);
    var (listPage, keptPage) = listPages.TryGetValue(clients, out var pages) ? pages : (double.NaN, double.NaN);
    Console.WriteLine($"-- {clients} client(s): pgbench primary-key select {select:0} tps, single-row insert {insert:0} tps, the list page's statement ({ApiCells.ReadNodes} rows) {listPage:0} tps, its keys alone (a page of kept items) {keptPage:0} tps");
    foreach (var (result, ratios) in await cells.RunAllAsync(clients, new Ceilings(select, insert, listPage, keptPage)))
    {
        var row = Format(result, ratios);
        rows.Add(row);
        Console.WriteLine(row);
        if (!JitQuiet.Is(result.ApiJitMethodsPerSecond, TimeSpan.FromSeconds(1)))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   warning: the API's JIT compiled {result.ApiJitMethodsPerSecond:0} methods a second while {result.Name} at {clients} client(s) was measured: its CPU per call includes tiering"));
        }

        if (result.Trend.Rising)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   warning: {result.Name} at {clients} client(s) was still rising: {result.Trend.FirstThirdPerSecond:0} req/s in the first third of its measured time, {result.Trend.LastThirdPerSecond:0} in the last; the rate above is not a steady one (a longer --prewarm or --warmup)"));
        }
    }
}

var migration = options.Runs("Migration") && options.MigrationSize > 0
    ? await new MigrationWorkload(options, run).RunAsync()
    : "Migration: not run.";
Console.WriteLine();
Console.WriteLine("| call | clients | req/s | p50 ms | p99 ms | failed | vs PostgreSQL alone (the issue's ratio) | vs its own ceiling in this run | API CPU ms/call | API KB/call | load client CPU ms/call | load client KB/call | GC pause ms/s: API / client | API GCs/s | calls over 5 / 10 ms: client / API's own timing |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
rows.ForEach(Console.WriteLine);
Console.WriteLine();
Console.WriteLine(migration);

await cells.CleanUpAsync();
return 0;

static string Format(CellResult result, Ratio[] ratios)
{
    var failures = result.Failed == 0 ? "0" : $"{result.Failed} ({string.Join(", ", result.Failures.Select(f => $"{f.Key}: {f.Value}"))})";

    // The first ratio is the issue's (PostgreSQL's primary-key select or insert); the rest, where there are any, the
    // cell's own ceilings: the list page's statements for a List (its rows, and its keys alone), /healthz for a
    // Describe. With --pgbench off (or a ceiling's cell left out) there is nothing to divide by, and the cell says so
    // instead of printing NaN.
    static string Of(CellResult result, Ratio? ratio) => ratio switch
    {
        null => "",
        { PerSecond: double.NaN } => $"not measured ({ratio.Value.Name})",
        { } r => string.Create(CultureInfo.InvariantCulture, $"{result.PerSecond / r.PerSecond:0.00}× of {r.Name} {r.PerSecond:0}/s"),
    };

    return string.Create(CultureInfo.InvariantCulture,
        $"| {result.Name} | {result.Clients} | {result.PerSecond:0}{(result.Trend.Rising ? " (rising)" : "")} | {result.P50Ms:0.0} | {result.P99Ms:0.0} | {failures} | {Of(result, ratios.Length > 0 ? ratios[0] : null)} | {string.Join("; ", ratios.Skip(1).Select(r => Of(result, r)))} | {result.ApiCpuMsPerCall:0.000} | {result.ApiKbPerCall:0.00} | {result.ClientCpuMsPerCall:0.000} | {result.ClientKbPerCall:0.00} | {result.ApiGcPauseMsPerSecond:0.0} / {result.ClientGcPauseMsPerSecond:0.0} | {result.ApiCollectionsPerSecond:0.0} | {result.Tail.ClientOver5Ms:0.0%} / {result.Tail.ClientOver10Ms:0.0%}; {result.Tail.ApiOver5Ms:0.0%} / {result.Tail.ApiOver10Ms:0.0%} |");
}
