using System.Diagnostics;
using System.Globalization;
using Mesh.ApiLoad;
using Mesh.Fleet;

if (args is ["raw-server", var rawUrl])
{
    await RawLimit.ServeAsync(rawUrl);
    return 0;
}

if (args.Contains("--help"))
{
    Console.WriteLine(FleetOptions.Help);
    return 0;
}

var options = FleetOptions.Parse(args);
if (options.WriteNode is { } nodeFile)
{
    var written = NodeFile.Write(nodeFile, options.DistinctNodes);
    Console.WriteLine($"{nodeFile}: the node of {written.Id} ({written.Extensions.Count} extensions), {new FileInfo(nodeFile).Length} bytes");
    return 0;
}

ThreadPool.SetMinThreads(64, 64);
var logDir = Directory.CreateTempSubdirectory("mesh-fleet-").FullName;
var report = new Report { ProxyCount = options.Proxies };
report.Line($"Mesh.Fleet {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC: {options.Proxies} proxies, {options.Services} services, {options.ProxiesPerClient} proxies per client node, {Environment.ProcessorCount} cores, load average {Machine.LoadAverage()}, each proxy's node serialised {(options.SerialiseNodeEveryRequest ? "for every request" : "once")}, {(options.DistinctNodes ? "a distinct node per proxy" : "one node per client virtual node")}{(options.XdsSettings.Length > 0 ? $", xDS server settings {string.Join(' ', options.XdsSettings)}" : "")}{(options.XdsEnvironment.Length > 0 ? $", xDS server environment {string.Join(' ', options.XdsEnvironment)}" : "")}");
report.Line($"server logs in {logDir}; gcdump for forced collections: {ForcedCollection.Tool ?? "not found (heap figures are as of the server's last collection)"}");

var credentials = Credentials.Read(options.CredentialsFile, "default");
var clients = Math.Max(1, (options.Proxies + options.ProxiesPerClient - 1) / options.ProxiesPerClient);
var mesh = new FleetMesh(options.Api, credentials, options.Region, $"fleet-{DateTime.UtcNow:MMddHHmmss}", options.Services, clients);
var created = Stopwatch.GetTimestamp();
await mesh.CreateAsync();
report.Line($"node: {RealisticNode.OfClient(mesh.Name, "client-0", pod: null).CalculateSize()} bytes serialised, {RealisticNode.Build("x", "x").Extensions.Count} extensions");
report.Line($"mesh {mesh.Name}: {options.Services} services and {clients} client nodes created through the API in {Stopwatch.GetElapsedTime(created).TotalSeconds:F1} s");

var xds = new XdsServers(options, logDir);
var sharedNodes = new System.Collections.Concurrent.ConcurrentDictionary<string, Envoy.Config.Core.V3.Node>(StringComparer.Ordinal);
var results = new List<MeshFigures>();
foreach (var name in options.Variants)
{
    var variant = FleetOptions.Variant(name) with { SerialiseNodeEveryRequest = options.SerialiseNodeEveryRequest };
    results.Add(await MeasureMeshAsync(variant));
}

var reference = results[0];
var raw = await MeasureRawAsync(reference.BytesPerProxy, reference.RdsSize, null, "raw");
// The raw limit again with each variant's requests: what the stack costs to receive what that variant's proxies send.
var rawWithRequests = new Dictionary<string, RawFigures>(StringComparer.Ordinal);
foreach (var figures in results.Where(_ => options.RawWithRequests))
{
    if (figures.Requests is { } requests)
    {
        rawWithRequests[figures.Variant] = await MeasureRawAsync(figures.BytesPerProxy, figures.RdsSize, requests, $"raw-{figures.Variant}");
    }
}

report.Line($"load average after: {Machine.LoadAverage()}");
report.Table(raw, results, rawWithRequests);

if (options.Storm)
{
    await MeasureStormAsync((FleetOptions.Variant(options.Variants[0]) with { SerialiseNodeEveryRequest = options.SerialiseNodeEveryRequest }), reference);
}

if (options.Replicas)
{
    await MeasureReplicasAsync((FleetOptions.Variant(options.Variants[0]) with { SerialiseNodeEveryRequest = options.SerialiseNodeEveryRequest }));
}

report.Line($"load average at the end: {Machine.LoadAverage()}");
return 0;

async Task<MeshFigures> MeasureMeshAsync(FleetVariant variant)
{
    using var server = await xds.StartAsync(0);
    var admin = xds.Admin(0);
    var start = await ServerStart.ReadAsync(server, admin);
    await Task.Delay(1000);
    await ForcedCollection.CollectAsync(server.Pid);
    var rssBefore = server.Rss;
    var splitBefore = await MemorySplit.ReadAsync(server, admin);
    var heapBefore = await admin.HeapAsync() ?? 0;
    var liveBefore = await admin.LiveHeapAsync() ?? 0;
    var pooledBefore = await admin.SumAsync("aspnetcore_memory_pool_pooled_bytes", "kestrel");
    var cpuBefore = server.Cpu;
    var fleetCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var jitBefore = await JitCount.ReadAsync(admin);
    var gcBefore = await GcCount.ReadAsync(admin);

    using var stop = new CancellationTokenSource();
    // The first proxy keeps its requests' bytes for the raw limit's second form.
    var recorder = new RequestRecorder();
    var proxies = Enumerable.Range(0, options.Proxies)
        .Select(i => new SimulatedEnvoy(NodeOf(i), variant, [xds.Grpc(0)]) { Recorder = i == 0 ? recorder : null, StuckAs = options.Stuck.Of(i) })
        .ToList();
    // The proxies a change waits for and measures: all but the stuck ones (--stuck).
    var healthy = proxies.Where(p => p.StuckAs == StuckAs.None).ToList();
    var connectProfile = await SteadyProfile.StartAsync(options.ProfileConnect, server.Pid, $"{variant.Name}-mesh");
    var started = Stopwatch.GetTimestamp();
    // The server's CPU when half the fleet is configured: the second half's cost is what a proxy costs once
    // whatever is paid once (the JIT, descriptors, each identity's first snapshot) has been paid.
    var cpuAtHalf = Fleet.WhenCount(proxies.Select(p => p.Configured.Task).ToList(), options.Proxies / 2).ContinueWith(_ => server.Cpu, TaskScheduler.Default);
    var loops = await Fleet.OpenAsync(proxies.Select(p => ((Func<Task>)(() => p.RunAsync(stop.Token)), p.Configured.Task)).ToList(), options.ConnectParallelism, TimeSpan.FromMinutes(10));
    var connect = Stopwatch.GetElapsedTime(started);
    var connectCpu = server.Cpu - cpuBefore;
    await connectProfile.DisposeAsync();
    var secondHalfCpu = server.Cpu - await cpuAtHalf;
    // The fleet shares the machine's cores with the server: its own CPU says whether it, not the server, set the pace.
    var fleetCpu = Process.GetCurrentProcess().TotalProcessorTime - fleetCpuBefore;
    var bytes = proxies.Average(p => p.BytesReceived);
    var requestsAtConnect = proxies.Average(p => p.RequestsSent);
    var jitAfterConnect = await JitCount.ReadAsync(admin);
    var connectJit = jitAfterConnect - jitBefore;
    // The server's running count, so that a list of what the JIT compiled (DOTNET_JitStdOutFile, one numbered line per
    // method) can be cut into the start, the connect and the changes (each change's count is on its own line below).
    report.Line($"{variant.Name}: the JIT's running count of compiled methods: {jitBefore.Methods:F0} before the connect, {jitAfterConnect.Methods:F0} after it");
    // The connect's own figures at once, so that a run whose changes later fail still has them.
    report.Line($"{variant.Name}: connect: server CPU per proxy {connectCpu.TotalMilliseconds / options.Proxies:F2} ms, second half {secondHalfCpu.TotalMilliseconds / (options.Proxies - options.Proxies / 2):F2} ms, {connect.TotalSeconds:F2} s, {connectJit}");
    // What the connect allocated and collected: per-connect garbage is server CPU twice, to make and to collect.
    var connectGc = await GcCount.ReadAsync(admin) - gcBefore;

    await Task.Delay(2000);
    await ForcedCollection.CollectAsync(server.Pid);
    var rss = server.Rss;
    var splitConnect = await MemorySplit.ReadAsync(server, admin);
    var heap = await admin.HeapAsync() ?? 0;
    var live = await admin.LiveHeapAsync() ?? 0;
    var pooled = await admin.SumAsync("aspnetcore_memory_pool_pooled_bytes", "kestrel");

    foreach (var proxy in proxies.Where(p => p.StuckAs != StuckAs.None))
    {
        proxy.BecomeStuck();
    }

    var changes = new List<ChangeFigures>();
    SteadyProfile? profile = null;
    SteadyProfile? allocationTrace = null;
    for (var c = 0; c < options.Changes; c++)
    {
        if (c == 1)
        {
            profile = await SteadyProfile.StartAsync(options.ProfileSteady, server.Pid, $"{variant.Name}-mesh");
            allocationTrace = await SteadyProfile.StartAllocationTraceAsync(options.TraceSteady, server.Pid, $"{variant.Name}-mesh");
        }

        if (options.ChangeGap > TimeSpan.Zero)
        {
            await Task.Delay(options.ChangeGap);
        }

        var counts = healthy.Select(p => p.RdsResponses).ToList();
        var serverBefore = await ChangeTrace.ReadAsync(admin);
        var jit = await JitCount.ReadAsync(admin);
        var gc = await GcCount.ReadAsync(admin);
        var blocks = await admin.MetricAsync("mesh_xds_kestrel_blocks_allocated");
        var cpu = server.Cpu;
        var fleetCpuOfChange = Process.GetCurrentProcess().TotalProcessorTime;
        var before = await mesh.ChangeRouteAsync();
        try
        {
            await Fleet.WaitAsync(() => healthy.Select((p, i) => p.RdsResponses > counts[i]).All(x => x), TimeSpan.FromMinutes(5), "every proxy to get the new route");
        }
        catch (TimeoutException e)
        {
            // Say what the server made of the change, so a hang tells a change that altered nothing from one lost on the way.
            // and both sides' facts for the proxies it missed (issue13as).
            var missing = healthy.Where((p, i) => p.RdsResponses <= counts[i]).Count();
            var trace = await ChangeTrace.SinceAsync(admin, serverBefore);
            var sides = MissingProxies.Describe([.. healthy.Select((p, i) => (p, counts[i]))], before, await admin.ProxyStatusAsync());
            throw new TimeoutException($"{missing} of {options.Proxies} proxies did not get route change {c + 1} of {variant.Name}; {trace}; push gate: {await PushGateAsync(admin)}; {sides}", e);
        }

        var cpuOfChange = server.Cpu - cpu;
        fleetCpuOfChange = Process.GetCurrentProcess().TotalProcessorTime - fleetCpuOfChange;
        // The window a lost change fell into under load (issue13as): a stream that ended after its proxy read the
        // change's route response and before its ACK went out. The proxy holds the change (and says so when it
        // reconnects, so nothing is sent again); said when it happened, as it shows the machine's load at work.
        var ended = healthy.Select(p => p.Trace.Facts()).Where(f => f.StreamEndedSince(before)).ToList();
        if (ended.Count > 0)
        {
            report.Line($"{variant.Name}: change #{c + 1}: {ended.Count} proxies' streams ended during it, {ended.Count(f => f.RouteReadSince(before) && !f.RouteAcked && f.StreamEndedSince(f.Route.ReceivedAt))} of them after reading its route response and before writing the ACK; first end: {ended.Select(f => f.End).First()}");
        }

        var changeLatencies = healthy.Select(p => Stopwatch.GetElapsedTime(before, p.LastRdsAt).TotalMilliseconds).ToList();
        var receivedLatencies = healthy.Select(p => Stopwatch.GetElapsedTime(before, p.LastRdsReceivedAt).TotalMilliseconds).ToList();
        if (options.Latencies is { } latencyFile)
        {
            ProxyLatencies.Append(latencyFile, variant.Name, c + 1, healthy, before);
        }
        await Task.Delay(500);
        if (options.ServerTimelines is { } timelineFile)
        {
            // After the pause: a stream marks its write done after the proxy may already have read it.
            await ServerTimelines.AppendAsync(timelineFile, admin, variant.Name, c + 1, healthy, before);
        }

        // Read after the pause: the exporter answers a scrape from its cache for a moment, and the runtime's tiering
        // thread finishes what the change made hot in the background.
        changes.Add(new ChangeFigures(changeLatencies, cpuOfChange)
        {
            Jit = await JitCount.ReadAsync(admin) - jit,
            ReceivedP99 = Percentile(receivedLatencies, 0.99),
            FleetCpu = fleetCpuOfChange,
            Gc = await GcCount.ReadAsync(admin) - gc,
            BlocksMade = await admin.MetricAsync("mesh_xds_kestrel_blocks_allocated") - blocks ?? double.NaN,
        });
    }

    if (profile is not null)
    {
        await profile.DisposeAsync();
    }

    if (allocationTrace is not null)
    {
        await allocationTrace.DisposeAsync();
    }

    // What an idle proxy costs once the changes are over: with Xds:KestrelBuffers=Heap the server's pool keeps the
    // blocks its busiest change needed for Xds:KestrelBlocksKeptSeconds (issue13ac), which the connect's RSS omits.
    await Task.Delay(2000);
    await ForcedCollection.CollectAsync(server.Pid);
    var rssAfterChanges = server.Rss;
    var splitAfterChanges = await MemorySplit.ReadAsync(server, admin);
    var blocksAfterChanges = await admin.MetricAsync("mesh_xds_kestrel_block_bytes");
    var blocksMade = await admin.MetricAsync("mesh_xds_kestrel_blocks_allocated");

    var latencies = changes.SelectMany(c => c.Latencies).ToList();
    var changeCpu = changes.Aggregate(TimeSpan.Zero, (sum, c) => sum + c.Cpu);

    var figures = new MeshFigures(
        variant.Name,
        connect,
        connectCpu,
        (rss - rssBefore) / (double)options.Proxies,
        (heap - heapBefore) / options.Proxies,
        Percentile(latencies, 0.5),
        Percentile(latencies, 0.99),
        changeCpu / Math.Max(1, options.Changes),
        bytes,
        proxies[0].LastRdsSize,
        healthy.Sum(p => p.Errors),
        rss)
    {
        SecondHalfConnectCpu = secondHalfCpu,
        LiveHeapPerProxy = (live - liveBefore) / options.Proxies,
        PooledPerProxy = (pooled - pooledBefore) / options.Proxies,
        Changes = ChangeSplit.Of(changes),
        PoolBlocksByChange = PoolWarmUp.Describe(changes, healthy.Count),
        Start = start,
        RequestsPerProxyAtConnect = requestsAtConnect,
        Requests = recorder.LastAck is { } ack ? new ProxyRequests(recorder.Connect, ack) : null,
    };
    report.Line($"{variant.Name}: server started and ready in {start.Ready.TotalSeconds:F1} s using {start.Cpu.TotalSeconds:F2} s of CPU (of which the warm-up {start.WarmUp.TotalSeconds:F2} s, {start.WarmUpCpu.TotalSeconds:F2} s of CPU); per change, p99 and server CPU: {string.Join(", ", changes.Select((c, i) => $"#{i + 1} {Percentile(c.Latencies, 0.99):F0} ms {c.Cpu.TotalMilliseconds:F0} ms ({c.Jit})"))}");
    report.Line($"{variant.Name}: per change, p99 of the response's arrival (before its ACK is written), the fleet's own CPU, the server's collections and its pool's new blocks: {string.Join(", ", changes.Select((c, i) => $"#{i + 1} {c.ReceivedP99:F0} ms, fleet {c.FleetCpu.TotalMilliseconds:F0} ms, {c.Gc}, {c.BlocksMade:F0} new pool blocks"))}");
    report.Line($"{variant.Name}: configured {options.Proxies} in {connect.TotalSeconds:F2} s, server CPU {connectCpu.TotalSeconds:F2} s (second half {secondHalfCpu.TotalSeconds:F2} s; {connectJit}; fleet CPU {fleetCpu.TotalSeconds:F2} s; {connectGc}, {connectGc.AllocatedBytes / options.Proxies / 1024:F1} KiB allocated per proxy), RSS {rssBefore / 1048576.0:F0} → {rss / 1048576.0:F0} MiB, heap {heapBefore / 1048576.0:F0} → {heap / 1048576.0:F0} MiB, errors {figures.Errors}{(figures.Errors > 0 ? $" ({proxies.First(p => p.Errors > 0).LastError})" : "")}");
    report.Line($"{variant.Name}: after the changes, idle: RSS {rssAfterChanges / 1048576.0:F0} MiB, {(rssAfterChanges - rssBefore) / 1024.0 / options.Proxies:F1} KiB per proxy; {(blocksAfterChanges is { } blockBytes ? $"the server's pool holds {blockBytes / 1048576.0:F0} MiB of Kestrel blocks ({blockBytes / 1024.0 / options.Proxies:F1} KiB per proxy; {blocksMade:F0} made since start)" : "Kestrel's own pool")}");
    if (healthy.Count < proxies.Count)
    {
        var stuck = proxies.Where(p => p.StuckAs != StuckAs.None).ToList();
        report.Line($"{variant.Name}: stuck after the connect: {stuck.Count(p => p.StuckAs == StuckAs.NeverAnswer)} never answer, {stuck.Count(p => p.StuckAs == StuckAs.StopReading)} stop reading; the changes above are the other {healthy.Count}'s; the stuck ones got {stuck.Sum(p => p.RdsResponses) - stuck.Count} route pushes in all, {stuck.Sum(p => p.Errors)} errors");
    }

    report.Line($"{variant.Name}: push gate after the changes: {await PushGateAsync(admin)}");

    // A proxy that does not answer Kestrel's HTTP/2 PING in time (a starved fleet) loses its connection and resyncs (13as).
    report.Line($"{variant.Name}: connections the server closed for an unanswered PING: {await admin.SumAsync("kestrel_connection_duration_seconds_count", "error_type=\"keep_alive_timeout\""):F0}");

    report.Line($"{variant.Name}: memory after the connect, {splitConnect.PerProxy(splitBefore, options.Proxies)}");
    report.Line($"{variant.Name}: memory after the changes, {splitAfterChanges.PerProxy(splitBefore, options.Proxies)}");
    if (options.IdleWatch > TimeSpan.Zero)
    {
        // The idle server left alone: does what the changes grew fall back by itself (the GC decommitting free
        // regions, the pools evicting), or only with a collection, or not at all?
        var watched = Stopwatch.GetTimestamp();
        foreach (var at in IdleMarks(options.IdleWatch))
        {
            var wait = at - Stopwatch.GetElapsedTime(watched);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var reading = await MemorySplit.ReadAsync(server, admin);
            report.Line($"{variant.Name}: memory {at.TotalSeconds:F0} s after the changes, idle, no forced collection: {reading.PerProxy(splitBefore, options.Proxies)}");
            // The last reading is the settled figure: the idle server as its own trims left it, nothing forced.
            figures = figures with { SettledRssPerProxy = (reading.Rss - splitBefore.Rss) / (double)options.Proxies, SettledAfter = at };
        }

        await ForcedCollection.CollectAsync(server.Pid);
        report.Line($"{variant.Name}: memory {Stopwatch.GetElapsedTime(watched).TotalSeconds:F0} s after the changes, then a forced collection: {(await MemorySplit.ReadAsync(server, admin)).PerProxy(splitBefore, options.Proxies)}");
    }

    await stop.CancelAsync();
    await Task.WhenAll(loops);
    proxies.ForEach(p => p.Dispose());
    await server.StopAsync();
    return figures;
}

// The push gate's counters (Xds:PushesInFlight): how many pushes waited for a slot, and how slots were given back other than by their write.
static async Task<string> PushGateAsync(XdsAdmin admin) =>
    await admin.MetricAsync("mesh_xds_push_slot_waits_total") is not { } waits
        ? "off"
        : $"{await admin.MetricAsync("mesh_xds_push_slots_in_flight"):F0} slots held, {waits:F0} waits, {await admin.MetricAsync("mesh_xds_push_slots_stalled_total"):F0} stalled, {await admin.MetricAsync("mesh_xds_push_slots_expired_total"):F0} expired";

// When an idle watch reads the server: every 15 s for the first minute, then every 30 s, and at its end.
static IEnumerable<TimeSpan> IdleMarks(TimeSpan watch)
{
    var at = TimeSpan.FromSeconds(15);
    while (at < watch)
    {
        yield return at;
        at += at < TimeSpan.FromMinutes(1) ? TimeSpan.FromSeconds(15) : TimeSpan.FromSeconds(30);
    }

    yield return watch;
}

// The raw limit: streams that each get one message of firstSize at open and one of pushSize per push. With
// requests, the second form: each stream first sends a proxy's connect requests and an ACK after every push, and the
// server reads them all (each push waits for the server to have read every ACK, which the plain form has none of).
async Task<RawFigures> MeasureRawAsync(double firstSize, int pushSize, ProxyRequests? requests, string label)
{
    var url = new Uri($"http://127.0.0.1:{options.BasePort + 4}");
    // The same program serves the raw limit in a process of its own: the apphost, or `dotnet Mesh.Fleet.dll`.
    var self = Environment.ProcessPath!;
    string[] rawArgs = Path.GetFileNameWithoutExtension(self) == "dotnet" ? [typeof(MeshFigures).Assembly.Location, "raw-server", url.ToString()] : ["raw-server", url.ToString()];
    // The raw server is this program, whose runtimeconfig turns TieredPGO off for the fleet: the raw server keeps the
    // runtime's default, as before, so the limit it measures does not move with the fleet's own setting.
    using var server = ServerProcess.Start(self, rawArgs, new Dictionary<string, string> { ["DOTNET_TieredPGO"] = "1" }, Path.Combine(logDir, "raw.log"));
    await Fleet.WaitAsync(() => { try { RawLimit.Client.CollectAsync(url).GetAwaiter().GetResult(); return true; } catch { return false; } }, TimeSpan.FromSeconds(60), "the raw server to start");
    await Task.Delay(1000);
    var heapBefore = await RawLimit.Client.CollectAsync(url);
    var rssBefore = server.Rss;
    var cpuBefore = server.Cpu;
    var fleetCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    using var stop = new CancellationTokenSource();
    var clients = Enumerable.Range(0, options.Proxies).Select(_ => new RawLimit.Client(url, requests)).ToList();
    var connectProfile = await SteadyProfile.StartAsync(options.ProfileConnect, server.Pid, label);
    var started = Stopwatch.GetTimestamp();
    var loops = await Fleet.OpenAsync(clients.Select(c => ((Func<Task>)(() => c.RunAsync((int)firstSize, stop.Token)), c.Opened.Task)).ToList(), options.ConnectParallelism, TimeSpan.FromMinutes(10));
    var connect = Stopwatch.GetElapsedTime(started);
    var connectCpu = server.Cpu - cpuBefore;
    await connectProfile.DisposeAsync();
    var fleetCpu = Process.GetCurrentProcess().TotalProcessorTime - fleetCpuBefore;
    await Task.Delay(2000);
    var heap = await RawLimit.Client.CollectAsync(url);
    var rss = server.Rss;

    var pushes = new List<ChangeFigures>();
    SteadyProfile? profile = null;
    for (var c = 0; c < options.Changes; c++)
    {
        if (c == 1)
        {
            profile = await SteadyProfile.StartAsync(options.ProfileSteady, server.Pid, label);
        }

        var counts = clients.Select(x => x.Pushes).ToList();
        var cpu = server.Cpu;
        var before = Stopwatch.GetTimestamp();
        await RawLimit.Client.PushAsync(url, pushSize);
        await Fleet.WaitAsync(() => clients.Select((x, i) => x.Pushes > counts[i]).All(x => x), TimeSpan.FromMinutes(5), "every raw stream to get the push");
        if (requests is not null)
        {
            // Every ACK written; the server's reading of the last of them may still be under way.
            var expected = ((long)requests.Connect.Count + c + 1) * options.Proxies;
            await Fleet.WaitAsync(() => RawLimit.Client.ReceivedAsync(url).GetAwaiter().GetResult() >= expected, TimeSpan.FromMinutes(1), "the raw server to read every ACK", TimeSpan.FromMilliseconds(20));
        }

        pushes.Add(new ChangeFigures(clients.Select(x => Stopwatch.GetElapsedTime(before, x.LastPushAt).TotalMilliseconds).ToList(), server.Cpu - cpu));
        await Task.Delay(500);
    }

    if (profile is not null)
    {
        await profile.DisposeAsync();
    }

    var latencies = pushes.SelectMany(p => p.Latencies).ToList();
    var pushCpu = pushes.Aggregate(TimeSpan.Zero, (sum, p) => sum + p.Cpu);

    var form = requests is null ? "raw" : $"raw with {label[4..]}'s requests ({requests})";
    report.Line($"{form}: {options.Proxies} streams open in {connect.TotalSeconds:F2} s (first message {firstSize:F0} B), server CPU {connectCpu.TotalSeconds:F2} s (fleet CPU {fleetCpu.TotalSeconds:F2} s), RSS {rssBefore / 1048576.0:F0} → {rss / 1048576.0:F0} MiB; push of {pushSize} B");
    await stop.CancelAsync();
    await Task.WhenAll(loops);
    clients.ForEach(c => c.Dispose());
    return new RawFigures(connect, connectCpu, (rss - rssBefore) / (double)options.Proxies, (heap - heapBefore) / (double)options.Proxies,
        Percentile(latencies, 0.5), Percentile(latencies, 0.99), pushCpu / Math.Max(1, options.Changes)) { Pushes = ChangeSplit.Of(pushes) };
}

async Task MeasureStormAsync(FleetVariant variant, MeshFigures cold)
{
    // The storm's overall bound: for the restarted server's readiness, and then for every proxy to be back.
    var stormBound = TimeSpan.FromMinutes(10);
    var server = await xds.StartAsync(0);
    using var stop = new CancellationTokenSource();
    var proxies = Enumerable.Range(0, options.Proxies)
        .Select(i => new SimulatedEnvoy(NodeOf(i), variant, [xds.Grpc(0)]))
        .ToList();
    var loops = await Fleet.OpenAsync(proxies.Select(p => ((Func<Task>)(() => p.RunAsync(stop.Token)), p.Configured.Task)).ToList(), options.ConnectParallelism, TimeSpan.FromMinutes(10));
    var responses = proxies.Sum(p => p.Responses);
    var errors = proxies.Sum(p => p.Errors);
    var kernelBefore = KernelTcpCounters.Read();
    var refusedBefore = proxies.Select(p => p.Refused).ToList();
    var refused = refusedBefore.Sum();
    var resetBefore = proxies.Sum(p => p.ResetBeforeResponse);
    var restarted = Stopwatch.GetTimestamp();
    var endedByStop = proxies.Sum(p => p.EndedByStoppingServer);
    var (stopping, killed) = await server.StopAsync();
    var exited = Stopwatch.GetTimestamp();
    var endedWhileStopping = proxies.Sum(p => p.EndedByStoppingServer) - endedByStop;
    var stopped = server;
    var starting = Stopwatch.GetTimestamp();
    server = await xds.StartAsync(0, stormBound);
    var ready = Stopwatch.GetElapsedTime(restarted);
    var readyAt = Stopwatch.GetTimestamp();
    var admin = xds.Admin(0);
    var cpu = server.Cpu;
    var wait = admin.ConnectedWait();
    await wait.WaitAsync(options.Proxies, stormBound, "every proxy to reconnect");
    var resynced = Stopwatch.GetElapsedTime(restarted);
    await Task.Delay(3000);
    var resent = proxies.Sum(p => p.Responses) - responses;

    // The stopped server's log is read once the storm is over: waiting for its output's end before the restart held
    // the new server back about a second at 10,000 proxies (issue13bv).
    await stopped.OutputEndedAsync();
    var phases = StopPhases.OfFile(stopped.Log);
    stopped.Dispose();
    report.Line($"reconnect storm ({variant.Name}): server restarted and ready in {ready.TotalSeconds:F1} s; all {options.Proxies} reconnected {resynced.TotalSeconds:F1} s after the stop " +
        $"({resynced / cold.Connect:F2}× the cold connect of {cold.Connect.TotalSeconds:F1} s), server CPU {(server.Cpu - cpu).TotalSeconds:F1} s from ready ({server.Cpu.TotalSeconds:F1} s from its start), " +
        $"responses re-sent {resent} (0 when versions match), errors {proxies.Sum(p => p.Errors) - errors}{FirstError(proxies)}; " +
        $"the stopped server: {phases.Describe(stopping)}{(killed ? " (killed: it had not exited in 30 s)" : "")}, " +
        $"streams it ended with UNAVAILABLE {endedWhileStopping} (above {options.Proxies}: proxies reconnected to it while it stopped); " +
        $"the wait read /healthz {wait.StreamReads} times and /metrics {wait.MetricsReads} times");
    var refusedInStorm = proxies.Sum(p => p.Refused) - refused;
    report.Line($"reconnect storm, the new server: {StartPhases.OfFile(server.Log, server.StartedUtc, xds.Grpc(0).Port).Describe()}; " +
        $"the fleet's /readyz probes {server.Readiness?.Probes ?? 0}, {server.Readiness?.TimedOut ?? 0} of them unanswered within {ReadinessWait.ProbeTimeout.TotalSeconds:F0} s");
    report.Line($"reconnect storm: connections refused {refusedInStorm} ({refusedInStorm / (double)options.Proxies:F2} per proxy; proxies by refusals: {RefusalCounts.Describe(proxies.Select((p, i) => p.Refused - refusedBefore[i]))}); " +
        $"streams reset or closed before the server answered {proxies.Sum(p => p.ResetBeforeResponse) - resetBefore} (their connections waited in the stopped server's held port until it exited; a connect that failed, not an error); streams ended otherwise (UNAVAILABLE, CANCELLED or INTERNAL without the server's stop status; not counted as errors), times from the SIGTERM:");
    foreach (var line in ErrorTimeline.Describe(proxies.SelectMany(p => p.OtherEnds), restarted, []))
    {
        report.Line(line);
    }

    report.Line($"reconnect storm, the kernel's TCP counters from the stop to 3 s after all were back: {KernelTcpCounters.Read().Since(kernelBefore)}");
    report.Line("reconnect storm errors, times from the SIGTERM:");
    foreach (var line in ErrorTimeline.Describe(proxies.SelectMany(p => p.ErrorLog), restarted,
        [("SIGTERM", restarted), ("stopped server exited", exited), ("new server started", starting), ("new server ready", readyAt), ("all back", restarted + (long)(resynced.TotalSeconds * Stopwatch.Frequency))]))
    {
        report.Line(line);
    }

    await stop.CancelAsync();
    await Task.WhenAll(loops);
    proxies.ForEach(p => p.Dispose());
    await server.StopAsync();
    server.Dispose();
}

async Task MeasureReplicasAsync(FleetVariant variant)
{
    using var a = await xds.StartAsync(0);
    using var b = await xds.StartAsync(1);
    using var stop = new CancellationTokenSource();
    var proxies = Enumerable.Range(0, options.Proxies)
        .Select(i => new SimulatedEnvoy(NodeOf(i), variant,
            i % 2 == 0 ? [xds.Grpc(0), xds.Grpc(1)] : [xds.Grpc(1), xds.Grpc(0)]))
        .ToList();
    var loops = await Fleet.OpenAsync(proxies.Select(p => ((Func<Task>)(() => p.RunAsync(stop.Token)), p.Configured.Task)).ToList(), options.ConnectParallelism, TimeSpan.FromMinutes(10));
    var responses = proxies.Sum(p => p.Responses);
    var errors = proxies.Sum(p => p.Errors);
    var kernelBefore = KernelTcpCounters.Read();
    var stopped = Stopwatch.GetTimestamp();
    var (stopping, killed) = await a.StopAsync();
    var exited = Stopwatch.GetTimestamp();
    var admin = xds.Admin(1);
    await admin.ConnectedWait().WaitAsync(options.Proxies, TimeSpan.FromMinutes(10), "every proxy to move to the second replica");
    var moved = Stopwatch.GetElapsedTime(stopped);
    await Task.Delay(3000);
    var resent = proxies.Sum(p => p.Responses) - responses;
    report.Line($"two replicas ({variant.Name}): one of two stopped; its {options.Proxies / 2} proxies were on the other {moved.TotalSeconds:F1} s later; " +
        $"responses re-sent to them {resent} (0: the other replica had the same versions), errors {proxies.Sum(p => p.Errors) - errors}{FirstError(proxies)} " +
        $"(at connect: {errors}); the stopped replica exited {stopping.TotalSeconds:F1} s after SIGTERM{(killed ? " (killed: it had not exited in 30 s)" : "")}");
    report.Line("two replicas: streams ended otherwise (not counted as errors), times from the SIGTERM:");
    foreach (var line in ErrorTimeline.Describe(proxies.SelectMany(p => p.OtherEnds), stopped, []))
    {
        report.Line(line);
    }

    report.Line($"two replicas, the kernel's TCP counters from the stop to 3 s after all had moved: {KernelTcpCounters.Read().Since(kernelBefore)}");
    report.Line("two replicas errors, times from the SIGTERM:");
    foreach (var line in ErrorTimeline.Describe(proxies.SelectMany(p => p.ErrorLog), stopped,
        [("SIGTERM", stopped), ("stopped replica exited", exited), ("all on the other", stopped + (long)(moved.TotalSeconds * Stopwatch.Frequency))]))
    {
        report.Line(line);
    }

    await stop.CancelAsync();
    await Task.WhenAll(loops);
    proxies.ForEach(p => p.Dispose());
    await b.StopAsync();
}

// The node proxy i sends: its client virtual node's, and with --distinct-nodes its pod's own.
// Proxies of one client virtual node share one node object unless each is to have its own: the node's bytes are
// serialised once per object (NodeBytes), and 49 KB of node and its 390 extension messages per proxy was most of the
// fleet's heap, which its collections then walked on the cores the server is measured on. The bytes sent are the same.
Envoy.Config.Core.V3.Node NodeOf(int i) => options.DistinctNodes
    ? RealisticNode.OfClient(mesh.Name, mesh.ClientNode(i), pod: i)
    : sharedNodes.GetOrAdd(mesh.ClientNode(i), client => RealisticNode.OfClient(mesh.Name, client, pod: null));

static string FirstError(List<SimulatedEnvoy> proxies) =>
    proxies.FirstOrDefault(p => p.LastError is not null)?.LastError is { } e ? $" (first: {e})" : "";

static double Percentile(IReadOnlyList<double> values, double p) => Stats.Percentile(values, p);


namespace Mesh.Fleet
{
    internal sealed record MeshFigures(string Variant, TimeSpan Connect, TimeSpan ConnectCpu, double RssPerProxy, double HeapPerProxy,
        double P50, double P99, TimeSpan CpuPerChange, double BytesPerProxy, int RdsSize, int Errors, long Rss)
    {
        /// <summary>Server CPU from half the fleet configured to all of it: what proxies cost once one-time costs are paid.</summary>
        public TimeSpan SecondHalfConnectCpu { get; init; }

        /// <summary>
        /// The heap after the forced collection less the free space that collection left between objects: the
        /// collection dotnet-gcdump forces does not always compact, so the heap it leaves holds 0–20 KB per proxy
        /// of free space from run to run. This is what the raw server's figure is (it compacts before measuring).
        /// </summary>
        public double LiveHeapPerProxy { get; init; }

        /// <summary>
        /// Of the live heap, Kestrel's idle pooled 4 KB blocks: what the connect burst needed at once, kept by the
        /// pool afterwards and released by it a few percent every 10 s while idle (0 from servers without the meter).
        /// </summary>
        public double PooledPerProxy { get; init; }

        /// <summary>
        /// RSS per proxy at the idle watch's last reading, no collection forced (NaN when not watched). The table's
        /// first row is read 2 s after the connect, before the server's idle trim gives back what the connect's burst
        /// had the collector commit; this is what an idle server holds once it has settled.
        /// </summary>
        public double SettledRssPerProxy { get; init; } = double.NaN;

        /// <summary>How long the proxies had been idle at <see cref="SettledRssPerProxy"/>'s reading.</summary>
        public TimeSpan SettledAfter { get; init; }

        public ChangeSplit Changes { get; init; } = ChangeSplit.Of([]);

        /// <summary>The server pool's new blocks in each change and whether the steady ones still made some (null with Kestrel's own pool).</summary>
        public string? PoolBlocksByChange { get; init; }

        public ServerStart Start { get; init; } = ServerStart.Unknown;

        /// <summary>Requests each proxy wrote until the fleet was configured, on average.</summary>
        public double RequestsPerProxyAtConnect { get; init; }

        /// <summary>The first proxy's requests as sent (null if it saw no change to ACK): the raw limit's second form sends them.</summary>
        public ProxyRequests? Requests { get; init; }
    }

    internal sealed record RawFigures(TimeSpan Connect, TimeSpan ConnectCpu, double RssPerStream, double HeapPerStream,
        double P50, double P99, TimeSpan CpuPerPush)
    {
        public ChangeSplit Pushes { get; init; } = ChangeSplit.Of([]);
    }

    /// <summary>Starting proxies with a bounded number of connections opening at once, and waiting on conditions.</summary>
    internal static class Fleet
    {
        /// <summary>Starts every loop, at most <paramref name="parallel"/> not yet ready at a time; returns the loops once all are ready.</summary>
        public static async Task<List<Task>> OpenAsync(List<(Func<Task> Run, Task Ready)> members, int parallel, TimeSpan timeout)
        {
            using var gate = new SemaphoreSlim(parallel);
            var loops = new List<Task>(members.Count);
            foreach (var (run, ready) in members)
            {
                await gate.WaitAsync();
                loops.Add(Task.Run(run));
                _ = ready.ContinueWith(_ => gate.Release(), TaskScheduler.Default);
            }

            await Task.WhenAll(members.Select(m => m.Ready)).WaitAsync(timeout);
            return loops;
        }

        /// <summary>Completes when <paramref name="count"/> of the tasks have completed.</summary>
        public static Task WhenCount(IReadOnlyList<Task> tasks, int count)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var left = count;
            if (left <= 0)
            {
                done.SetResult();
            }

            foreach (var task in tasks)
            {
                _ = task.ContinueWith(_ =>
                {
                    if (Interlocked.Decrement(ref left) == 0)
                    {
                        done.TrySetResult();
                    }
                }, TaskScheduler.Default);
            }

            return done.Task;
        }

        public static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what, TimeSpan? poll = null)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            while (!condition())
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw new TimeoutException($"timed out waiting for {what}");
                }

                await Task.Delay(poll ?? TimeSpan.FromMilliseconds(5));
            }
        }
    }

    /// <summary>
    /// What an xDS server did with a change, from its /metrics: change-log rows applied, snapshots built (one per
    /// identity whose configuration changed), RDS responses sent. Read before a change and again when the fleet
    /// gave up waiting for it.
    /// </summary>
    internal sealed record ChangeTrace(double FeedChanges, double SnapshotsBuilt, double RdsResponses)
    {
        public static async Task<ChangeTrace> ReadAsync(XdsAdmin admin) => new(
            await admin.MetricAsync("mesh_xds_feed_changes_total") ?? 0,
            await admin.MetricAsync("mesh_xds_snapshots_built_total") ?? 0,
            await admin.SumAsync("mesh_xds_responses_total", "type=\"rds\""));

        public static async Task<string> SinceAsync(XdsAdmin admin, ChangeTrace before)
        {
            var now = await ReadAsync(admin);
            var (feed, built, rds) = (now.FeedChanges - before.FeedChanges, now.SnapshotsBuilt - before.SnapshotsBuilt, now.RdsResponses - before.RdsResponses);
            var reading = (feed, built) switch
            {
                (0, _) => "the server's change feed never applied it",
                (_, 0) => "the server applied it but no identity's snapshot changed: the change left every proxy's configuration as it was",
                _ => "the server built new snapshots for it; compare the RDS responses sent with the proxies waiting (GET /proxy-status on the admin port)",
            };
            return $"since the change the server applied {feed} change-log rows, built {built} new snapshots and sent {rds} RDS responses: {reading}";
        }
    }

    /// <summary>The xDS servers the fleet starts, on the database ./run.sh serves.</summary>
    internal sealed class XdsServers(FleetOptions options, string logDir)
    {
        private int _started;

        public Uri Grpc(int replica) => new($"http://127.0.0.1:{options.BasePort + (2 * replica)}");

        public XdsAdmin Admin(int replica) => new(new Uri($"http://127.0.0.1:{options.BasePort + (2 * replica) + 1}"));

        /// <summary>
        /// Starts a server and waits for its readiness up to <paramref name="readyWithin"/> (2 minutes unless given): the
        /// storm's restart waits up to the storm's own bound, since a server restarted under every proxy at once on a
        /// loaded machine can take longer than a start with none.
        /// </summary>
        public async Task<ServerProcess> StartAsync(int replica, TimeSpan? readyWithin = null)
        {
            var number = ++_started;
            var environment = new Dictionary<string, string> { ["ConnectionStrings__Mesh"] = options.Database };
            foreach (var variable in options.XdsEnvironment)
            {
                var equals = variable.IndexOf('=', StringComparison.Ordinal);
                environment[variable[..equals]] = variable[(equals + 1)..].Replace("{n}", number.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            }

            var process = ServerProcess.Start("dotnet",
                [options.XdsDll, $"--Xds:GrpcUrl={Grpc(replica)}", $"--Xds:AdminUrl=http://127.0.0.1:{options.BasePort + (2 * replica) + 1}", "--Xds:Auth:Mode=None",
                    .. StartPhases.TimestampSettings.Select(s => $"--{s}"), .. options.XdsSettings.Select(s => $"--{s}")],
                environment,
                Path.Combine(logDir, $"xds-{replica}-{number}.log"));
            try
            {
                await Admin(replica).WaitReadyAsync(process, readyWithin ?? TimeSpan.FromMinutes(2));
                return process;
            }
            catch
            {
                process.Dispose();
                throw;
            }
        }
    }

    internal static class Machine
    {
        public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
    }

    internal sealed class Report
    {
        /// <summary>Where the report goes: the console, or a test's writer.</summary>
        public TextWriter Output { get; init; } = Console.Out;

        public void Line(string text) => Output.WriteLine(text);

        public void Table(RawFigures raw, List<MeshFigures> mesh, IReadOnlyDictionary<string, RawFigures> withRequests)
        {
            var n = mesh.Count;
            Output.WriteLine();
            Output.WriteLine($"| figure | {string.Join(" | ", mesh.Select(m => m.Variant))} | raw limit, same run |");
            Output.WriteLine($"|---|{string.Concat(Enumerable.Repeat("---|", n))}---|");
            Row("server RSS per connected idle proxy (2 s after the connect)", m => $"{m.RssPerProxy / 1024:F1} KiB ({m.RssPerProxy / raw.RssPerStream:F1}×)", $"{raw.RssPerStream / 1024:F1} KiB");
            Row("server RSS per idle proxy, settled (idle watch's last reading, nothing forced)", m => double.IsNaN(m.SettledRssPerProxy)
                ? "not watched (--idle-watch)" : $"{m.SettledRssPerProxy / 1024:F1} KiB ({m.SettledRssPerProxy / raw.RssPerStream:F1}×) after {m.SettledAfter.TotalSeconds:F0} s idle", "");
            Row("managed heap per proxy, after a full GC", m => $"{m.HeapPerProxy / 1024:F1} KiB ({m.HeapPerProxy / raw.HeapPerStream:F1}×)", $"{raw.HeapPerStream / 1024:F1} KiB");
            Row("the same without the GC's free space (live objects)", m => $"{m.LiveHeapPerProxy / 1024:F1} KiB ({m.LiveHeapPerProxy / raw.HeapPerStream:F1}×)", $"{raw.HeapPerStream / 1024:F1} KiB (compacted)");
            Row("of which Kestrel's idle pooled blocks", m => $"{m.PooledPerProxy / 1024:F1} KiB", "");
            Row("all connected and fully configured", m => $"{m.Connect.TotalSeconds:F2} s ({m.Connect / raw.Connect:F1}×)", $"{raw.Connect.TotalSeconds:F2} s to open the streams");
            Row("server CPU per proxy to connect", m => $"{m.ConnectCpu.TotalMilliseconds / Count(m):F2} ms ({m.ConnectCpu / raw.ConnectCpu:F1}×)", $"{raw.ConnectCpu.TotalMilliseconds / Count(mesh[0]):F2} ms");
            Row("server CPU per proxy to connect, second half", m => $"{m.SecondHalfConnectCpu.TotalMilliseconds / (Count(m) - Count(m) / 2):F2} ms", "");
            Row("server start: ready, CPU (warm-up CPU)", m => $"{m.Start.Ready.TotalSeconds:F1} s, {m.Start.Cpu.TotalSeconds:F2} s ({m.Start.WarmUpCpu.TotalSeconds:F2} s)", "");
            Row("route change, p50 across proxies", m => $"{m.P50:F0} ms ({m.P50 / raw.P50:F1}×)", $"{raw.P50:F0} ms");
            Row("route change, p99 across proxies", m => $"{m.P99:F0} ms ({m.P99 / raw.P99:F1}×)", $"{raw.P99:F0} ms");
            Row("server CPU per change", m => $"{m.CpuPerChange.TotalMilliseconds:F0} ms ({m.CpuPerChange / raw.CpuPerPush:F1}×)", $"{raw.CpuPerPush.TotalMilliseconds:F0} ms");
            Row("first change after start, p99", m => Ratio(m.Changes.FirstP99, raw.Pushes.FirstP99, "ms"), $"{raw.Pushes.FirstP99:F0} ms (first push)");
            Row("first change after start, server CPU", m => Ratio(m.Changes.FirstCpu, raw.Pushes.FirstCpu, "ms"), $"{raw.Pushes.FirstCpu:F0} ms (first push)");
            Row("steady changes (2nd on), p99", m => Ratio(m.Changes.SteadyP99, raw.Pushes.SteadyP99, "ms"), RawSteady(raw.Pushes.SteadyP99));
            Row("steady changes (2nd on), server CPU per change", m => Ratio(m.Changes.SteadyCpu, raw.Pushes.SteadyCpu, "ms"), RawSteady(raw.Pushes.SteadyCpu));
            Row("server pool's new blocks, by change", m => m.PoolBlocksByChange ?? "Kestrel's own pool", "");
            // Against the raw limit with the same variant's requests (its figure in brackets): the part of the ratio
            // above that is not the stack's cost of receiving the requests, i.e. Mesh's own.
            Row("requests per proxy at connect (bytes of the first proxy's)", m => $"{m.RequestsPerProxyAtConnect:F1} ({(m.Requests?.ConnectBytes ?? 0) / 1024.0:F1} KiB), ACK {m.Requests?.Ack.Length ?? 0} B", "none");
            Row("server CPU per proxy to connect, × raw with the proxies' requests", m => withRequests.TryGetValue(m.Variant, out var r)
                ? $"{m.ConnectCpu.TotalMilliseconds / Count(m):F2} ms ({m.ConnectCpu / r.ConnectCpu:F1}×; that raw {r.ConnectCpu.TotalMilliseconds / Count(m):F2} ms)" : "not measured", "");
            Row("steady changes, server CPU per proxy, × raw with the proxies' requests", m => double.IsNaN(m.Changes.SteadyCpu) ? "n/a (one change)" : withRequests.TryGetValue(m.Variant, out var r)
                ? $"{m.Changes.SteadyCpu / Count(m):F3} ms ({m.Changes.SteadyCpu / r.Pushes.SteadyCpu:F1}×; that raw {r.Pushes.SteadyCpu / Count(m):F3} ms)" : "not measured",
                double.IsNaN(raw.Pushes.SteadyCpu) ? "n/a (one push)" : $"{raw.Pushes.SteadyCpu / Count(mesh[0]):F3} ms");
            // The times against the same raw form: the raw server reads the proxies' requests (each with its node) and
            // its clients write them, on the same cores, so this is the part of the time above that is Mesh's own.
            Row("all connected and fully configured, × raw with the proxies' requests", m => withRequests.TryGetValue(m.Variant, out var r)
                ? $"{m.Connect.TotalSeconds:F2} s ({m.Connect / r.Connect:F1}×; that raw {r.Connect.TotalSeconds:F2} s)" : "not measured", "");
            Row("route change, p99 across proxies, × raw with the proxies' requests", m => withRequests.TryGetValue(m.Variant, out var r)
                ? $"{m.P99:F0} ms ({m.P99 / r.P99:F1}×; that raw {r.P99:F0} ms)" : "not measured", "");
            Row("steady changes (2nd on), p99, × raw with the proxies' requests", m => double.IsNaN(m.Changes.SteadyP99) ? "n/a (one change)" : withRequests.TryGetValue(m.Variant, out var r)
                ? $"{m.Changes.SteadyP99:F0} ms ({m.Changes.SteadyP99 / r.Pushes.SteadyP99:F1}×; that raw {r.Pushes.SteadyP99:F0} ms)" : "not measured", "");
            Row("bytes per proxy at connect", m => $"{m.BytesPerProxy:F0} B", "the same, as one message");
            Row("RDS response of the change", m => $"{m.RdsSize} B", "the same size");
            Row("errors", m => $"{m.Errors}", "");
            Output.WriteLine();

            static string Ratio(double value, double raw, string unit) =>
                double.IsNaN(value) ? "n/a (one change)" : $"{value:F0} {unit} ({value / raw:F1}×)";

            // With one change there is no later push to take a steady figure from (NaN), on either side.
            static string RawSteady(double value) => double.IsNaN(value) ? "n/a (one push)" : $"{value:F0} ms (later pushes)";

            void Row(string name, Func<MeshFigures, string> cell, string rawCell) =>
                Output.WriteLine($"| {name} | {string.Join(" | ", mesh.Select(cell))} | {rawCell} |");

            double Count(MeshFigures m) => ProxyCount;
        }

        public int ProxyCount { get; set; }
    }
}
