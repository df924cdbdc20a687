using System.Globalization;
using Npgsql;

namespace Mesh.ApiLoad;

/// <summary>What to load and how hard; defaults fit ./run.sh started from the repository root.</summary>
internal sealed record LoadOptions(
    Uri Api,
    Credentials Credentials,
    string Region,
    NpgsqlConnectionStringBuilder Postgres,
    int[] Clients,
    TimeSpan Warmup,
    TimeSpan Measured,
    int MigrationSize,
    string? Only,
    bool WithPgBench,
    TimeSpan Prewarm,
    string? FirstCalls,
    int ApiPid,
    int BesideUpdates)
{
    public const string Usage = """
        Usage: Mesh.ApiLoad [--api <url>] [--credentials <file>] [--profile <name>] [--region <region>]
                            [--postgres <connection string>] [--clients 1,8,32] [--seconds 15] [--warmup 3]
                            [--migration-size 500] [--only <cell name prefix>] [--pgbench on|off] [--prewarm 5]
                            [--first-calls prepare|measure --api-pid <pid>] [--beside-updates 0]
        Loads the App Mesh API of a running stack (./run.sh) with SigV4-signed calls, one connection per client,
        and measures PostgreSQL's own ceiling with pgbench in the same run: a primary-key select and an insert (the
        issue's ratios), and the List cell's own page statement on its mesh (a List's ceiling). The cell "Healthz"
        (unsigned GET /healthz: Kestrel without SigV4 or PostgreSQL) is the web stack's ceiling for a Describe.
        Every cell prints the API's CPU and allocations per call (its /metrics). Defaults: the API at $MESH_API_URL or
        http://127.0.0.1:8080, the key in $MESH_STATE_DIR/credentials (.mesh/credentials), PostgreSQL on 127.0.0.1:$MESH_PG_PORT (5432).
        --only runs just the cells whose name starts with the prefix (e.g. "Describe"; the migration runs with
        "Migration"; several prefixes with commas, e.g. "Healthz,Describe,List"), and --pgbench off skips the ceilings: both
        for profiling one kind of call.
        --prewarm runs every cell's calls, unmeasured, for that many seconds each (at the largest client count)
        before the first measured cell, so that it measures a warm API rather than the JIT; 0 turns the pass off.
        The pass repeats (at most 6 times) until the API's JIT compiled fewer than 10 methods a second through one
        (its /metrics, dotnet_jit_compiled_methods_total); a cell measured while it compiled more is flagged.
        A cell whose rate in the last third of its measured time beat the first third's by more than 10% is
        flagged "(rising)": it measured a warm-up, not a steady rate.
        --first-calls measures a fresh API: "prepare" makes the mesh it reads; after a restart of the API,
        "measure --api-pid <pid>" times the first 1, 100, 1,000, 10,000, 30,000 and 60,000 Describes (at the first
        client count) and reads the API's CPU from /proc/<pid>/stat.
        --beside-updates N runs N more clients beside each measured Describe and List cell (its warm-up included),
        each updating the read mesh's nodes in turn as fast as answers come back: reads while writes change what they
        read. Their calls are not in the cell's figures; the API's /metrics count them (UpdateVirtualNode).
        Start the stack with the per-account rate limit out of the way:
          Mesh__Auth__RequestsPerSecond=1000000 Mesh__Auth__Burst=1000000 ./run.sh
        """;

    public bool Runs(string cell) =>
        Only is null || Only.Split(',', StringSplitOptions.RemoveEmptyEntries).Any(prefix => cell.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));

    public static LoadOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"Unexpected argument '{args[i]}'.");
            }

            values[args[i]] = args[++i];
        }

        string Value(string name, string fallback) => values.GetValueOrDefault(name) ?? fallback;
        var pgPort = Environment.GetEnvironmentVariable("MESH_PG_PORT") is { Length: > 0 } port ? port : "5432";
        return new LoadOptions(
            new Uri(Value("--api", Environment.GetEnvironmentVariable("MESH_API_URL") is { Length: > 0 } api ? api : "http://127.0.0.1:8080")),
            Credentials.Read(Value("--credentials", Path.Combine(Environment.GetEnvironmentVariable("MESH_STATE_DIR") is { Length: > 0 } state ? state : ".mesh", "credentials")), Value("--profile", "default")),
            Value("--region", "us-east-1"),
            new NpgsqlConnectionStringBuilder(Value("--postgres", $"Host=127.0.0.1;Port={pgPort};Username=postgres;Database=mesh")),
            Value("--clients", "1,8,32").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray(),
            TimeSpan.FromSeconds(double.Parse(Value("--warmup", "3"), CultureInfo.InvariantCulture)),
            TimeSpan.FromSeconds(double.Parse(Value("--seconds", "15"), CultureInfo.InvariantCulture)),
            int.Parse(Value("--migration-size", "500"), CultureInfo.InvariantCulture),
            values.GetValueOrDefault("--only"),
            Value("--pgbench", "on") != "off",
            TimeSpan.FromSeconds(double.Parse(Value("--prewarm", "5"), CultureInfo.InvariantCulture)),
            values.GetValueOrDefault("--first-calls") is { } firstCalls and not ("prepare" or "measure")
                ? throw new ArgumentException($"--first-calls takes prepare or measure, not '{firstCalls}'.")
                : values.GetValueOrDefault("--first-calls"),
            int.Parse(Value("--api-pid", "0"), CultureInfo.InvariantCulture),
            int.Parse(Value("--beside-updates", "0"), CultureInfo.InvariantCulture));
    }
}
