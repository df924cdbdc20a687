using System.Diagnostics;
using System.Runtime;
using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Translation;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Mesh.XdsServer.Hosting.WarmUp;

/// <summary>
/// Runs the server's real code paths once, on a mesh of its own, before the server accepts connections: a fresh process
/// otherwise makes its first proxies and its first route change pay for the JIT and for building the Envoy
/// protobuf descriptors (the first <c>Any.Pack</c> of each extension type builds its file's descriptor and every
/// file it imports), about half of the CPU a proxy cost to connect in issue 13's profiles.
/// <para>
/// Two simulated proxies (one state-of-the-world, sending its node on every request; one delta) are configured
/// through the real sessions, snapshot producer, cache, translator, node slicer and interner, and then receive
/// <see cref="WarmUpOptions.Changes"/> route changes. Every object they touch is the warm-up's own, created here
/// and dropped after: the server's cache, interners, stream registry and metrics are never touched, and the
/// database is never read, so no proxy can see that it ran. What it leaves is compiled code and the descriptors.
/// </para>
/// <para>
/// A hosted lifecycle service's <see cref="StartingAsync"/> runs before any hosted service starts, Kestrel
/// included: the server accepts connections (and <c>/readyz</c> can answer) only after it returns. The gRPC port
/// itself listens from the start (<see cref="XdsPortAtStart"/>): a proxy that connects meanwhile waits in its backlog,
/// unserved until then. A failure or a timeout is logged and counted, and the server starts anyway: the warm-up only
/// saves time.
/// </para>
/// </summary>
public sealed partial class XdsWarmUp : IHostedLifecycleService
{
    private const string Failures = "mesh_xds_warm_up_failures_total";
    private const string FailuresHelp = "Start-up warm-ups that failed or timed out (the server started without the rest of it; the log says why).";

    private static readonly string[] ConnectTypes = [TypeUrls.Cluster, TypeUrls.Endpoint, TypeUrls.Listener, TypeUrls.Route];

    private readonly WarmUpOptions _options;
    private readonly IProxyTranslator _translator;
    private readonly ProxyIdentityParser _parser;
    private readonly XdsMetrics _metrics;
    private readonly ILogger<XdsWarmUp> _logger;

    public XdsWarmUp(IOptions<WarmUpOptions> options, IProxyTranslator translator, ProxyIdentityParser parser, XdsMetrics metrics, ILogger<XdsWarmUp> logger)
    {
        _options = options.Value;
        _translator = translator;
        _parser = parser;
        _metrics = metrics;
        _logger = logger;
        metrics.Increment(Failures, FailuresHelp, by: 0);
        metrics.Gauge("mesh_xds_warm_up_seconds", "How long the start-up warm-up ran before the server listened (0 when it is off).", () => Result?.Elapsed.TotalSeconds ?? 0);
        metrics.Gauge("mesh_xds_warm_up_cpu_seconds", "Process CPU time (user and system, every thread) spent during the start-up warm-up.", () => Result?.Cpu.TotalSeconds ?? 0);
        metrics.Gauge("mesh_xds_warm_up_jit_methods", "Methods the JIT compiled during the start-up warm-up (compiled then, not while proxies wait).", () => Result?.MethodsCompiled ?? 0);
    }

    /// <summary>What the warm-up cost; null while it has not run (or when it is off).</summary>
    public WarmUpResult? Result { get; private set; }

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            LogOff();
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var methods = JitInfo.GetCompiledMethodCount();
        var jit = JitInfo.GetCompilationTime();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            // Off the thread that starts the host, whose synchronisation context (none in ASP.NET Core) nothing here needs.
            await Task.Run(() => RunAsync(timeout.Token), timeout.Token);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            _metrics.Increment(Failures, FailuresHelp);
            LogFailed(e, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        Result = new WarmUpResult(
            Stopwatch.GetElapsedTime(started),
            Process.GetCurrentProcess().TotalProcessorTime - cpu,
            JitInfo.GetCompiledMethodCount() - methods,
            JitInfo.GetCompilationTime() - jit);
        LogDone(Result.Elapsed.TotalMilliseconds, Result.Cpu.TotalMilliseconds, Result.MethodsCompiled, Result.JitTime.TotalMilliseconds, _options.Changes);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        // The warm-up's own world: nothing here is the server's, so nothing here is visible to a proxy or a scrape.
        var metrics = new XdsMetrics();
        var cache = new SnapshotCache();
        var producer = new SnapshotProducer(cache, _translator, metrics, NullLogger<SnapshotProducer>.Instance);
        var nodes = new NodeInterner();
        var context = new XdsSessionContext(cache, _parser, new StreamRegistry(TimeProvider.System), metrics, NullLoggerFactory.Instance);
        Identity(WarmUpMesh.NodeId(WarmUpMesh.Client), out var client);
        Identity(WarmUpMesh.GatewayId(WarmUpMesh.Gateway), out var gateway);

        producer.SetMesh(client.Mesh, WarmUpMesh.Graph(0));
        using var gatewayWatch = cache.Watch(gateway, _ => { }); // a gateway's translation, without a stream
        using var clientWatch = cache.Watch(client, _ => { });
        var snapshot = cache.Current(client) ?? throw new InvalidOperationException($"the warm-up mesh gave no snapshot: {cache.Problem(client)}");

        var sotw = new WarmUpSotwProxy(Node(WarmUpMesh.NodeId(WarmUpMesh.Client), "sotw"), nodes);
        var delta = new WarmUpDeltaProxy(Node(WarmUpMesh.NodeId(WarmUpMesh.Client), "delta"), nodes);
        var sessions = Task.WhenAll(
            XdsStreams.RunSotwAsync(context, "ads", null, sotw.Requests, sotw.Responses, cancellationToken),
            XdsStreams.RunDeltaAsync(context, "ads-delta", null, delta.Requests, delta.Responses, cancellationToken));

        // As Envoy asks: the full sets of clusters and listeners, and the endpoints and routes they name.
        var types = new List<string>();
        foreach (var typeUrl in ConnectTypes)
        {
            IReadOnlyCollection<string> names = TypeUrls.IsFullState(typeUrl) ? [] : [.. snapshot[typeUrl].ByName.Keys];
            if (TypeUrls.IsFullState(typeUrl) || names.Count > 0)
            {
                types.Add(typeUrl);
                sotw.Subscribe(typeUrl, names);
                delta.Subscribe(typeUrl, names);
            }
        }

        await Task.WhenAll(sotw.AnsweredAsync(types, cancellationToken), delta.AnsweredAsync(types, cancellationToken));
        for (var change = 1; change <= _options.Changes; change++)
        {
            producer.SetMesh(client.Mesh, WarmUpMesh.Graph(change));
            await Task.WhenAll(sotw.AnsweredAsync([TypeUrls.Route], cancellationToken), delta.AnsweredAsync([TypeUrls.Route], cancellationToken));
        }

        sotw.Requests.Complete();
        delta.Requests.Complete();
        await sessions;
    }

    private void Identity(string nodeId, out ProxyIdentity identity)
    {
        if (!_parser.TryParse(nodeId, out identity!, out var error))
        {
            throw new InvalidOperationException($"the warm-up's node id {nodeId} does not parse: {error}");
        }
    }

    /// <summary>A node shaped like Envoy's (build, locality, metadata, some extensions), so the slicer and interner see one.</summary>
    private static Node Node(string id, string pod)
    {
        var node = new Node
        {
            Id = id,
            Cluster = WarmUpMesh.Client,
            UserAgentName = "envoy",
            UserAgentBuildVersion = new BuildVersion { Version = new Envoy.Type.V3.SemanticVersion { MajorNumber = 1, MinorNumber = 32 } },
            Locality = new Locality { Region = "warm-up", Zone = "warm-up-a" },
            Metadata = new Struct { Fields = { ["podName"] = Value.ForString(pod) } },
        };
        node.ClientFeatures.Add("envoy.lb.does_not_support_overprovisioning");
        for (var i = 0; i < 16; i++)
        {
            node.Extensions.Add(new Extension { Name = $"envoy.filters.http.warm_up_{i}", Category = "envoy.filters.http" });
        }

        return node;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 300, Level = LogLevel.Information,
        Message = "Warm-up done before listening in {Milliseconds:F0} ms ({CpuMilliseconds:F0} ms of CPU; the JIT compiled {Methods} methods in {JitMilliseconds:F0} ms; {Changes} route changes)")]
    private partial void LogDone(double milliseconds, double cpuMilliseconds, long methods, double jitMilliseconds, int changes);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Warm-up failed after {Milliseconds:F0} ms; the server starts without the rest of it (its first proxies pay for what it did not compile)")]
    private partial void LogFailed(Exception exception, double milliseconds);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Warm-up off (Xds:WarmUp:Enabled=false): the first proxies and the first change pay for the JIT")]
    private partial void LogOff();
}

/// <summary>What the warm-up cost: wall time, process CPU, and what the JIT compiled meanwhile.</summary>
public sealed record WarmUpResult(TimeSpan Elapsed, TimeSpan Cpu, long MethodsCompiled, TimeSpan JitTime);
