using System.Globalization;

namespace Mesh.Fleet;

/// <summary>The command line; <c>--help</c> prints it.</summary>
internal sealed record FleetOptions
{
    public int Proxies { get; init; } = 1000;
    public int Services { get; init; } = 50;
    public int ProxiesPerClient { get; init; } = 50;
    public int Changes { get; init; } = 3;
    public int ConnectParallelism { get; init; } = 100;
    public string[] Variants { get; init; } = ["sotw-every", "sotw-first", "delta-every"];
    public bool Storm { get; init; } = true;

    /// <summary>Whether each simulated Envoy serialises its node again for every request (as the fleet did before), instead of once.</summary>
    public bool SerialiseNodeEveryRequest { get; init; }
    public bool Replicas { get; init; } = true;

    /// <summary>Whether the raw limit is measured again per variant with that variant's requests (RawLimit.Receive).</summary>
    public bool RawWithRequests { get; init; } = true;

    /// <summary>Where <c>perf record -g</c> files of each server's steady changes go (<see cref="SteadyProfile"/>); null: no profiles.</summary>
    public string? ProfileSteady { get; init; }

    /// <summary>Where <c>dotnet-trace</c> files of each xDS server's allocations in its steady changes go (<see cref="SteadyProfile.StartAllocationTraceAsync"/>); null: none.</summary>
    public string? TraceSteady { get; init; }

    /// <summary>Where <c>perf record -g</c> files of each server's connect go (from the first connection opened to the last proxy configured); null: none.</summary>
    public string? ProfileConnect { get; init; }

    /// <summary>Whether each proxy sends a node of its own (its pod's name and address), as real pods do, instead of one per client virtual node.</summary>
    public bool DistinctNodes { get; init; }

    /// <summary>Settings given to every xDS server the fleet starts, as <c>--Key=Value</c> (e.g. <c>Xds:WarmUp:Enabled=false</c>).</summary>
    public string[] XdsSettings { get; init; } = [];

    /// <summary>Environment variables given to every xDS server the fleet starts (runtime knobs such as <c>DOTNET_TieredPGO=1</c>), not to the fleet.</summary>
    public string[] XdsEnvironment { get; init; } = [];
    public Uri Api { get; init; } = new(Environment.GetEnvironmentVariable("MESH_API_URL") ?? "http://127.0.0.1:8080");
    public string CredentialsFile { get; init; } = Path.Combine(Environment.GetEnvironmentVariable("MESH_STATE_DIR") ?? ".mesh", "credentials");
    public string Region { get; init; } = "us-east-1";
    public string Database { get; init; } = $"Host=127.0.0.1;Port={Environment.GetEnvironmentVariable("MESH_PG_PORT") ?? "5432"};Database=mesh;Username=postgres";
    public string XdsDll { get; init; } = "src/XdsServer/bin/Release/net10.0/Mesh.XdsServer.dll";
    public int BasePort { get; init; } = 19000;

    /// <summary>How long each variant's server is watched, idle, after its changes (its memory read without and then with a forced collection); zero: not watched.</summary>
    public TimeSpan IdleWatch { get; init; } = TimeSpan.Zero;

    /// <summary>Which proxies turn stuck after the connect, before the changes (<c>--stuck</c>, <c>--stuck-as</c>).</summary>
    public StuckProxies Stuck { get; init; } = StuckProxies.None;

    /// <summary>How long the proxies stay idle before each route change (zero: the changes follow each other at once).</summary>
    public TimeSpan ChangeGap { get; init; } = TimeSpan.Zero;

    /// <summary>Where each proxy's latency in each change is written as CSV (<see cref="ProxyLatencies"/>); null: not written.</summary>
    public string? Latencies { get; init; }

    /// <summary>Where the server's timeline of each route change per identity goes as CSV, beside its proxies' latencies (<see cref="ServerTimelines"/>); null: not read.</summary>
    public string? ServerTimelines { get; init; }

    /// <summary>Where <c>--write-node</c> writes the node the fleet's first proxy sends (<see cref="NodeFile"/>), and exits; null: a run.</summary>
    public string? WriteNode { get; init; }

    public const string Help = """
        Mesh.Fleet: simulated Envoys against the xDS server, and the raw gRPC limit in the same run.
        Needs a running ./run.sh (PostgreSQL and the API); starts its own xDS servers and raw server.

          --proxies N              simulated Envoys, each on its own HTTP/2 connection (1000)
          --services N             services in the generated mesh (50)
          --per-client N           proxies per client virtual node (50)
          --changes N              route changes measured per variant (3)
          --parallel N             connections opening at once (100)
          --variants a,b           of sotw-every, sotw-first, delta-every, delta-first (sotw-every,sotw-first,delta-every)
          --fleet-node once|every  the fleet serialises each proxy's node once and sends its bytes (once), or again for
                                   every request (every: costs the fleet, on the server's cores, what Envoys pay on theirs)
          --storm on|off           restart the xDS server under the fleet (on)
          --replicas on|off        two xDS servers on one database, stop one (on)
          --raw-requests on|off    also measure, per variant, the raw limit with clients that send that variant's requests
                                   (the first proxy's bytes: its connect's requests, an ACK after each push) to the
                                   plain server, which reads and discards them: the stack's own cost of them (on)
          --profile-steady DIR     perf record -g each server (xDS and raw) from its 2nd change to its last, into
                                   DIR/<variant>-mesh.data and DIR/raw*.data (run the fleet with DOTNET_PerfMapEnabled=1)
          --profile-connect DIR    the same over each server's connect (first connection opened to last proxy
                                   configured), into DIR/<variant>-mesh.data and DIR/raw*.data
          --trace-steady DIR       dotnet-trace each xDS server's allocations (AllocationTick by type with its stack, and
                                   the GC's events) from its 2nd change to its last, into DIR/<variant>-mesh.nettrace
                                   (dotnet-trace on the PATH; the trace costs the server CPU: not for a run's CPU figures)
          --distinct-nodes on|off  each proxy sends its own node (its pod's name and address, as real pods do), so the
                                   server's node interner holds one per proxy; off: one node per client virtual node (off)
          --xds-setting KEY=VALUE  a setting for the xDS servers the fleet starts, e.g. Xds:WarmUp:Enabled=false (repeatable)
          --xds-env KEY=VALUE      an environment variable for the xDS servers the fleet starts, not for the fleet, e.g.
                                   DOTNET_TieredPGO=1; {n} in the value becomes the server's number (each server its
                                   own file: DOTNET_JitStdOutFile=/tmp/jit-{n}.txt) (repeatable)
          --api URL                the API ($MESH_API_URL or http://127.0.0.1:8080)
          --credentials FILE       admin key ($MESH_STATE_DIR/credentials or .mesh/credentials)
          --database CS            the xDS servers' ConnectionStrings:Mesh (127.0.0.1:$MESH_PG_PORT, database mesh)
          --xds-dll PATH           the built xDS server (src/XdsServer/bin/Release/net10.0/Mesh.XdsServer.dll)
          --port N                 first of the ports the fleet's servers listen on (19000; uses N..N+4)
          --idle-watch SECONDS     after each variant's changes, leave its proxies idle this long and print where the
                                   server's memory is (RSS anon/file, GC committed and heap per generation, Kestrel's
                                   pool) every 15-30 s, then after a forced collection (0: not watched)
          --change-gap SECONDS     the proxies stay idle this long before each route change, as between a user's
                                   changes, so that what the server does when idle (its memory trim) falls in between (0)
          --stuck PERCENT          this share of the proxies (spread evenly) turns stuck once connected, before the
                                   changes: the change waits for and measures only the others, whose p99 then says
                                   whether a stuck proxy holds the rest up (0)
          --stuck-as HOW           never-answer (reads its pushes, writes no ACK), stop-reading (stops reading its
                                   socket: its HTTP/2 windows close), or both (alternating) (both)
          --latencies FILE         append each proxy's latency in each route change to FILE as CSV (variant, change,
                                   proxy, node, the order it was configured in at the connect, latency, arrival)
          --server-timelines FILE  append the xDS server's timeline of each route change to FILE as CSV, one line per
                                   identity (its build, publication, and its streams' take, push slot and write, from
                                   the server's GET /change-timelines) beside when its proxies got the change
          --write-node FILE        write the node the first proxy sends (client-0's, of a mesh named fleet; with
                                   --distinct-nodes on, its pod's own), serialised exactly as the fleet sends it, to
                                   FILE and exit: no stack, no run (benchmarks/h2-frames/replay.py sends it)
        """;

    public static FleetOptions Parse(string[] args)
    {
        var o = new FleetOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--proxies" => o with { Proxies = Int() },
                "--services" => o with { Services = Int() },
                "--per-client" => o with { ProxiesPerClient = Int() },
                "--changes" => o with { Changes = Int() },
                "--parallel" => o with { ConnectParallelism = Int() },
                "--variants" => o with { Variants = Next().Split(',', StringSplitOptions.RemoveEmptyEntries) },
                "--storm" => o with { Storm = Next() == "on" },
                "--fleet-node" => o with { SerialiseNodeEveryRequest = Next() == "every" },
                "--replicas" => o with { Replicas = Next() == "on" },
                "--raw-requests" => o with { RawWithRequests = OnOff(args[i], Next()) },
                "--profile-steady" => o with { ProfileSteady = Next() },
                "--profile-connect" => o with { ProfileConnect = Next() },
                "--trace-steady" => o with { TraceSteady = Next() },
                "--distinct-nodes" => o with { DistinctNodes = OnOff(args[i], Next()) },
                "--xds-setting" => o with { XdsSettings = [.. o.XdsSettings, Setting(Next())] },
                "--xds-env" => o with { XdsEnvironment = [.. o.XdsEnvironment, Setting(Next())] },
                "--api" => o with { Api = new Uri(Next()) },
                "--credentials" => o with { CredentialsFile = Next() },
                "--database" => o with { Database = Next() },
                "--xds-dll" => o with { XdsDll = Next() },
                "--port" => o with { BasePort = Int() },
                "--idle-watch" => o with { IdleWatch = TimeSpan.FromSeconds(Int()) },
                "--stuck" => o with { Stuck = o.Stuck with { Percent = Int() is var p and >= 0 and < 100 ? p : throw new ArgumentException("--stuck takes a percentage from 0 to 99") } },
                "--stuck-as" => o with { Stuck = o.Stuck with { As = Next() is var a && a is "never-answer" or "stop-reading" or "both" ? a : throw new ArgumentException("--stuck-as takes never-answer, stop-reading or both") } },
                "--change-gap" => o with { ChangeGap = TimeSpan.FromSeconds(Int()) },
                "--write-node" => o with { WriteNode = Next() },
                "--latencies" => o with { Latencies = Next() },
                "--server-timelines" => o with { ServerTimelines = Next() },
                var other => throw new ArgumentException($"unknown option {other}; --help lists them"),
            };
        }

        return o;
    }

    private static bool OnOff(string option, string value) => value switch
    {
        "on" => true,
        "off" => false,
        _ => throw new ArgumentException($"{option} takes on or off, not {value}"),
    };

    private static string Setting(string value) =>
        value.IndexOf('=', StringComparison.Ordinal) > 0 ? value : throw new ArgumentException($"--xds-setting and --xds-env take KEY=VALUE, not {value}");

    public static FleetVariant Variant(string name) => name switch
    {
        "sotw-every" => new(name, Delta: false, NodeOnEveryRequest: true),
        "sotw-first" => new(name, Delta: false, NodeOnEveryRequest: false),
        "delta-every" => new(name, Delta: true, NodeOnEveryRequest: true),
        "delta-first" => new(name, Delta: true, NodeOnEveryRequest: false),
        _ => throw new ArgumentException($"unknown variant {name}"),
    };
}
