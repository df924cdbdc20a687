using Mesh.Observability;
using Mesh.Persistence;
using Mesh.Security;
using Mesh.Translation;
using Mesh.XdsServer.Auth;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Feed;
using Mesh.XdsServer.Hosting.Buffers;
using Mesh.XdsServer.Hosting.WarmUp;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Services;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.ProxyStatus;
using Mesh.XdsServer.Registration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Mesh.XdsServer.Hosting;

/// <summary>Wires the xDS server into a web application: listeners, services, the change feed, and endpoints.</summary>
public static class XdsServerHosting
{
    /// <summary>The HTTP/2 stream receive window the xDS port starts with (HTTP/2's and Kestrel's least, 64 KiB); <c>Kestrel:Limits:Http2:InitialStreamWindowSize</c> overrides it.</summary>
    public const int StreamWindowBytes = 64 * 1024;

    /// <summary>The HTTP/2 connection receive window (two streams' windows); <c>Kestrel:Limits:Http2:InitialConnectionWindowSize</c> overrides it.</summary>
    public const int ConnectionWindowBytes = 128 * 1024;

    /// <summary>
    /// Registers everything. With <c>ConnectionStrings:Mesh</c> set, meshes come from PostgreSQL through the change
    /// feed; without it the feed is disabled and meshes are given to <see cref="SnapshotProducer.SetMesh"/> directly.
    /// An <see cref="Mesh.Translation.IProxyTranslator"/> registered before this call wraps or replaces
    /// <see cref="Mesh.Translation.MeshTranslator"/> (tests use it to slow or break translation).
    /// </summary>
    public static WebApplicationBuilder AddXdsServer(this WebApplicationBuilder builder)
    {
        var services = builder.Services;

        // The xDS port listens before anything else the start does (XdsPortAtStart): a restarted server's proxies then
        // wait in its backlog while it builds, checks its database and warms up, instead of being refused and backing off.
        if (XdsPortAtStart.TryListen(builder.Configuration) is { } portAtStart)
        {
            services.AddSingleton(_ => portAtStart);
            services.AddOptions<SocketTransportOptions>().Configure(sockets => sockets.CreateBoundListenSocket = portAtStart.CreateBoundListenSocket);
        }

        builder.Configuration.AddQuietFrameworkLogs();

        // Each section is bound by one type and checked before the host serves: a bad setting stops the start
        // with a message naming it (Program prints it and exits 2).
        services.AddOptions<XdsOptions>().BindConfiguration(XdsOptions.Section).ValidateWith(o => o.Problem()).ValidateOnStart();
        services.AddOptions<AccountOptions>().BindConfiguration(AccountOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ChangeFeedOptions>().BindConfiguration("Xds:Feed").ValidateWith(FeedProblem).ValidateOnStart();
        services.AddOptions<ProxyAuthOptions>().BindConfiguration("Xds:Auth").ValidateOnStart();
        services.AddOptions<XdsTlsOptions>().BindConfiguration("Xds:Tls").ValidateWith(TlsProblem).ValidateOnStart();
        services.AddOptions<ProxyStatusOptions>().BindConfiguration("Xds:ProxyStatus").ValidateWith(ProxyStatusProblem).ValidateOnStart();
        services.AddOptions<RegistrationOptions>().BindConfiguration("Xds:Registration").ValidateWith(o => o.Problem()).ValidateOnStart();
        services.AddOptions<WarmUpOptions>().BindConfiguration(WarmUpOptions.Section).ValidateWith(o => o.Problem()).ValidateOnStart();

        // Kestrel reads the listen addresses from the options above, when the server starts (after validation).
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<XdsOptions>, IOptions<XdsTlsOptions>, IOptions<ProxyAuthOptions>>(
            (kestrel, xdsOptions, tlsOptions, authOptions) =>
            {
                var xds = xdsOptions.Value;
                var tls = tlsOptions.Value;
                var authMode = authOptions.Value.Mode;

                // Find proxies that vanished without closing their connection, so their streams are released. A
                // proxy that is alive but paused longer than this (a starved host) is closed too, and resyncs when it
                // reconnects: those closes are kestrel_connection_duration_seconds{error_type="keep_alive_timeout"} in
                // /metrics, and Kestrel:Limits:Http2:KeepAlivePingDelay / KeepAlivePingTimeout override both (below).
                kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
                kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);

                // What a proxy may send before the server reads it: a stream's request is one ~49 KB message at
                // most (an Envoy's node on every request), read as it arrives, so Kestrel's 768 KB stream and 1 MB
                // connection windows only let a connect burst's requests pile up unread in pooled blocks that stay
                // with the pool afterwards (about 4 KB per idle proxy, docs/benchmarks.md issue13z). A message
                // larger than the window still arrives: Kestrel reopens the window as gRPC examines the bytes.
                kestrel.Limits.Http2.InitialStreamWindowSize = StreamWindowBytes;
                kestrel.Limits.Http2.InitialConnectionWindowSize = ConnectionWindowBytes;
                kestrel.Listen(XdsOptions.EndpointOf(xds.GrpcUrl), o =>
                {
                    o.Protocols = HttpProtocols.Http2;
                    if (tls.Enabled)
                    {
                        o.UseHttps(XdsTls.ServerOptions(tls, authMode));
                    }

                    o.Use(ProxyStatusEndpoint.MarkGrpcConnection);
                });
                kestrel.Listen(XdsOptions.EndpointOf(xds.AdminUrl), o => o.Protocols = HttpProtocols.Http1AndHttp2);
            });

        // Kestrel's own settings (Kestrel:Limits:Http2:InitialStreamWindowSize, Kestrel:Limits:MaxRequestBufferSize, …)
        // from configuration, over the ones above: the host's defaults read only endpoints and certificates from the
        // section, and these bound what a proxy may send unread (memory per connection, docs/benchmarks.md).
        services.Configure<KestrelServerOptions>(builder.Configuration.GetSection("Kestrel"));

        // A stopped or restarted replica's proxies all connect again within about a second (XdsOptions.ListenBacklog).
        // A stop must not find a flush pending on a connection: Kestrel would discard the GOAWAY and trailers buffered
        // behind it (XdsOptions.TransportWriteBufferBytes), so by default the transport never makes a flush wait.
        services.AddOptions<SocketTransportOptions>().Configure<IOptions<XdsOptions>>((sockets, xds) =>
        {
            sockets.Backlog = xds.Value.ListenBacklog;
            sockets.MaxWriteBufferSize = xds.Value.TransportWriteBufferBytes > 0 ? xds.Value.TransportWriteBufferBytes : null;
        });
        UseKestrelBuffers(services, XdsOptions.KestrelBuffersOf(builder.Configuration), XdsOptions.KestrelBlockSizeOf(builder.Configuration), XdsOptions.KestrelBlocksKeptOf(builder.Configuration));

        // After a burst, once quiet, the GC's free memory back to the system (an idle server otherwise keeps it).
        var trimQuiet = XdsOptions.MemoryTrimQuietOf(builder.Configuration);
        if (trimQuiet > TimeSpan.Zero)
        {
            services.AddHostedService(sp => new Memory.IdleMemoryTrim(trimQuiet, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<XdsMetrics>(), sp.GetRequiredService<ILogger<Memory.IdleMemoryTrim>>()));
        }

        // How many streams may be writing a push at once (PushGate); 0 turns the bound off.
        var pushesInFlight = XdsOptions.PushesInFlightOf(builder.Configuration);
        if (pushesInFlight > 0)
        {
            var hold = XdsOptions.PushSlotHoldOf(builder.Configuration);
            services.AddSingleton(sp =>
            {
                var gate = new PushGate(pushesInFlight, hold, sp.GetRequiredService<TimeProvider>());
                var metrics = sp.GetRequiredService<XdsMetrics>();
                metrics.Gauge("mesh_xds_push_slots_in_flight", "Streams holding one of the Xds:PushesInFlight slots: a push being written, not yet handed on to the socket.", () => gate.InFlight);
                metrics.Counter(PushGate.Waited, "Pushes that found every Xds:PushesInFlight slot taken and waited for one.", () => gate.WaitedCount);
                metrics.Counter(PushGate.Stalled, "Push slots given back because as many later pushes as there are slots were written while this one's write waited (its proxy stopped reading; the push itself goes on).", () => gate.StalledCount);
                metrics.Counter(PushGate.Expired, "Push slots given back because the push's write neither completed nor was found stalled within Xds:PushSlotHoldMilliseconds (the push itself goes on).", () => gate.ExpiredCount);
                return gate;
            });
        }

        // Sized for a stop that ends every stream at once (StopListeningFirst), not the host's 30 s default.
        services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = StopListeningFirst.ShutdownTimeout);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<Mesh.Translation.IProxyTranslator>(_ => new Mesh.Translation.MeshTranslator());
        services.AddSingleton<StreamRegistry>();
        services.AddSingleton<SnapshotCache>();
        services.AddSingleton<ChangeTimelines>();
        services.AddSingleton<SnapshotProducer>();
        services.AddSingleton<MeshLoader>();
        services.AddSingleton(sp =>
        {
            var account = sp.GetRequiredService<IOptions<AccountOptions>>().Value;
            return new ProxyIdentityParser(account.AccountId, account.Region);
        });
        services.AddHealthChecks().AddCheck<FeedLoadedCheck>(FeedLoadedCheck.Name, tags: [AdminApi.ReadyTag]);
        services.AddSingleton<XdsSessionContext>();
        services.AddSingleton<ProxyAuthenticator>();
        services.AddHttpClient("proxy-status");
        services.AddSingleton<ProxyStatusCollector>();
        services.AddGrpc(o => o.Interceptors.Add<ProxyAuthInterceptor>());
        UseNodeSlicing(services);
        builder.AddXdsTelemetry();

        // Before any hosted service starts, Kestrel's listeners included (XdsWarmUp).
        services.AddSingleton<XdsWarmUp>();
        services.AddHostedService(sp => sp.GetRequiredService<XdsWarmUp>());

        var connectionString = builder.Configuration.GetConnectionString("Mesh");
        services.AddSingleton(new FeedStatus { State = string.IsNullOrEmpty(connectionString) ? FeedState.Disabled : FeedState.Starting });
        if (!string.IsNullOrEmpty(connectionString))
        {
            if (ConnectionStrings.Problem(connectionString) is { } malformed)
            {
                throw new XdsConfigurationException(malformed);
            }

            // Statements prepared per connection (StatementPreparation): the change feed's read of the log after every
            // NOTIFY, the mesh reads and the leases were parsed and planned on every call. And no reset of a pooled
            // connection (PoolReset, as the API has it): each catch-up opens connections from this pool, and each open
            // sent seven statements before its first (docs/benchmarks.md, issue14az). The server leaves no session state
            // on a connection it gives back:
            // - it LISTENs only on the change feed's own connection, which no pool holds (ListenConnections);
            // - its isolation levels are never set for the session: the catch-up's and the mesh reads' REPEATABLE READ
            //   is named in their BEGIN, the leases' transactions take the default; SET TRANSACTION SNAPSHOT and
            //   pg_export_snapshot() last as long as their transaction;
            // - the leases lock their service rows (SELECT … FOR UPDATE) in their transaction; it takes no advisory lock,
            //   makes no temporary table, declares no cursor, and runs no SET or set_config() of the session;
            // - a transaction a failure left open is rolled back by Npgsql when its connection goes back, reset or not.
            services.AddSingleton(_ => NpgsqlDataSource.Create(PoolReset.Off(StatementPreparation.Apply(connectionString))));
            services.AddSingleton(_ => new ListenConnections(connectionString));
            services.AddDbContextFactory<MeshDbContext>((sp, o) => o.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>()));
            services.TryAddSingleton<IChangePathPrimer, DatabaseChangePathPrimer>();
            services.AddHostedService<PostgresChangeFeed>();
            services.AddSingleton<InstanceLeases>();
            services.AddSingleton<ProxyRegistrations>();
            services.AddHostedService(sp => sp.GetRequiredService<ProxyRegistrations>());
            var masterKey = builder.Configuration["Mesh:Auth:MasterKey"];
            if (!string.IsNullOrEmpty(masterKey))
            {
                if (SecretProtector.FormatProblem(masterKey) is { } badKey)
                {
                    throw new XdsConfigurationException(badKey);
                }

                services.AddSingleton(sp => new AccessKeyStore(
                    sp.GetRequiredService<IDbContextFactory<MeshDbContext>>(), new SecretProtector(masterKey), sp.GetRequiredService<TimeProvider>()));
                services.TryAddSingleton<IProxyKeyStore>(sp => new DatabaseProxyKeyStore(sp.GetRequiredService<AccessKeyStore>()));
            }

            services.AddSingleton(sp => new DatabaseSetup(sp.GetRequiredService<IDbContextFactory<MeshDbContext>>(), sp.GetService<AccessKeyStore>()));
        }

        return builder;
    }

    /// <summary>
    /// Kestrel's socket transport buffers in the server's <see cref="KestrelBlockPools"/> instead of its own pinned
    /// pool, unless <c>Xds:KestrelBuffers</c> is <c>Pinned</c>. The transport takes the host's last registered
    /// <see cref="IMemoryPoolFactory{T}"/> (its options are configured from the container), and this registration
    /// comes after Kestrel's own.
    /// </summary>
    private static void UseKestrelBuffers(IServiceCollection services, KestrelBufferKind kind, int blockSize, TimeSpan blocksKept)
    {
        if (kind == KestrelBufferKind.Pinned)
        {
            return;
        }

        services.AddSingleton(sp => new KestrelBlockPools(new HeapBlocks(), sp.GetRequiredService<TimeProvider>(), blockSize, blocksKept));
        services.AddSingleton<IMemoryPoolFactory<byte>>(sp => sp.GetRequiredService<KestrelBlockPools>());
    }

    /// <summary>
    /// Discovery requests are read with their node sliced out and interned (<see cref="NodeSlicingMarshaller"/>):
    /// the default binder of generated services is replaced by one that binds them the same way with that marshaller.
    /// </summary>
    private static void UseNodeSlicing(IServiceCollection services)
    {
        services.AddSingleton<NodeInterner>();
        var binder = services.SingleOrDefault(d => d.ServiceType == typeof(Grpc.AspNetCore.Server.Model.IServiceMethodProvider<>)
            && d.ImplementationType?.Name.StartsWith("BinderServiceMethodProvider", StringComparison.Ordinal) == true)
            ?? throw new InvalidOperationException("Grpc.AspNetCore's BinderServiceMethodProvider was not found; the node-slicing binder cannot replace it");
        services.Remove(binder);
        services.AddSingleton(typeof(Grpc.AspNetCore.Server.Model.IServiceMethodProvider<>), typeof(NodeSlicingMethodProvider<>));
    }

    public static WebApplication MapXdsServer(this WebApplication app)
    {
        // The settings are checked here, before anything runs, rather than when the host starts: a refusal is then
        // one OptionsValidationException for Program to print, not a host start failure logged with its stack.
        app.Services.GetService<IStartupValidator>()?.Validate();
        var metrics = app.Services.GetRequiredService<XdsMetrics>();
        var streams = app.Services.GetRequiredService<StreamRegistry>();
        var cache = app.Services.GetRequiredService<SnapshotCache>();

        // Created now, before any stream: it builds the first snapshot of each identity a stream watches.
        var producer = app.Services.GetRequiredService<SnapshotProducer>();
        var feed = app.Services.GetRequiredService<FeedStatus>();
        metrics.Gauge("mesh_xds_streams", "Open xDS streams.", () => streams.Count);
        metrics.Gauge("mesh_xds_connected_proxies", "Streams whose proxy has identified itself (one per proxy using ADS; a proxy on the per-type services opens one per type).", () => streams.Identified);
        metrics.Gauge("mesh_xds_proxy_identities", "Distinct proxy identities with a stream open (one snapshot each).", () => cache.WatchedIdentities);
        metrics.Gauge("mesh_xds_proxy_identities_waiting", "Watched proxy identities with no configuration to serve: their resource is not created (or was deleted) or never translated; GET /proxy-status says why.", () => cache.WaitingIdentities);
        metrics.Gauge("mesh_xds_interned_resources", "Distinct serialised resources held for live snapshots.", () => producer.InternedResources);
        metrics.Gauge("mesh_xds_translation_warnings_standing", "Translation warnings standing now, summed over the watched proxy identities, by kind (GET /proxy-status lists them).", () => ByKind(cache.WarningCounts));
        metrics.Gauge("mesh_xds_proxyless_translation_warnings_standing", "Translation warnings only proxyless gRPC clients and servers are affected by, standing now, summed over the watched proxy identities, by kind (GET /proxy-status lists them for gRPC streams).", () => ByKind(cache.ProxylessWarningCounts));
        var nodes = app.Services.GetRequiredService<NodeInterner>();
        metrics.Gauge("mesh_xds_distinct_nodes", "Distinct proxy node contents held (each parsed once, shared by the streams that sent the same bytes).", () => nodes.Count);
        metrics.Gauge("mesh_xds_node_parses", "Nodes parsed since start because their bytes were new (a node sent again is not parsed again).", () => nodes.Parsed);
        app.Services.GetService<KestrelBlockPools>()?.Observe(metrics, XdsOptions.KestrelBuffersOf(app.Configuration).ToString());
        metrics.Gauge("mesh_xds_feed_watermark", "Change-log sequence number applied up to.", () => feed.Watermark);
        if (app.Services.GetService<ProxyRegistrations>() is { } registrations)
        {
            metrics.Gauge("mesh_xds_registered_proxies", "Sidecars on this replica whose automatic Cloud Map registration is held now.", () => registrations.Registered);
        }

        if (app.Services.GetService<XdsPortAtStart>() is { } portAtStart)
        {
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Mesh.XdsServer.Hosting")
                .ListeningAtStart(portAtStart.Endpoint.ToString(), (long)portAtStart.ListeningAfter.TotalMilliseconds, portAtStart.Backlog);
        }

        if (feed.State == FeedState.Disabled)
        {
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Mesh.XdsServer.Feed").FeedDisabled();
        }

        XdsTls.CheckAuthentication(app.Services, authTransport: app.Configuration["Xds:Tls:CertificatePath"] is { Length: > 0 } ? "TLS" : "cleartext HTTP/2 (h2c)");
        app.MapGrpcService<AggregatedDiscovery>();
        app.MapGrpcService<ListenerDiscovery>();
        app.MapGrpcService<RouteDiscovery>();
        app.MapGrpcService<ClusterDiscovery>();
        app.MapGrpcService<EndpointDiscovery>();
        app.MapGrpcService<SecretDiscovery>();
        app.MapGrpcService<ClientStatusDiscovery>();
        app.MapAdminApi();
        app.MapProxyStatus();
        app.MapChangeTimelines();
        StopListeningFirst.Register(app.Services);
        return app;
    }

    /// <summary>A standing-warnings gauge's series: one per warning kind, zero included.</summary>
    private static IEnumerable<(string Labels, double Value)> ByKind(IReadOnlyDictionary<WarningKind, int> counts) =>
        counts.Select(c => (XdsMetrics.KindLabel(c.Key), (double)c.Value));

    private static string? FeedProblem(ChangeFeedOptions feed)
    {
        var problems = new List<string>();
        if (feed.Debounce < TimeSpan.Zero || feed.MaxDebounce < feed.Debounce)
        {
            problems.Add($"Xds:Feed:Debounce ({feed.Debounce}) must be between zero and Xds:Feed:MaxDebounce ({feed.MaxDebounce}).");
        }

        foreach (var (name, value) in new[] { ("PollInterval", feed.PollInterval), ("GapTimeout", feed.GapTimeout), ("MinBackoff", feed.MinBackoff) })
        {
            if (value <= TimeSpan.Zero)
            {
                problems.Add($"Xds:Feed:{name} ({value}) must be positive.");
            }
        }

        if (feed.MaxBackoff < feed.MinBackoff)
        {
            problems.Add($"Xds:Feed:MaxBackoff ({feed.MaxBackoff}) must not be below Xds:Feed:MinBackoff ({feed.MinBackoff}).");
        }

        if (feed.UnwatchedDelay < TimeSpan.Zero)
        {
            problems.Add($"Xds:Feed:UnwatchedDelay ({feed.UnwatchedDelay}) must not be negative.");
        }

        if (feed.StartWindow < 0)
        {
            problems.Add($"Xds:Feed:StartWindow ({feed.StartWindow}) must not be negative.");
        }

        return problems.Count == 0 ? null : string.Join(" ", problems);
    }

    private static string? TlsProblem(XdsTlsOptions tls) =>
        tls.Enabled && string.IsNullOrEmpty(tls.KeyPath) ? "Xds:Tls:CertificatePath is set but Xds:Tls:KeyPath is not." : null;

    private static string? ProxyStatusProblem(ProxyStatusOptions status) =>
        status.Peers.FirstOrDefault(p => !Uri.TryCreate(p, UriKind.Absolute, out var peer) || peer.Scheme is not ("http" or "https")) is { } bad
            ? $"Xds:ProxyStatus:Peers holds '{bad}', which is not the http:// admin URL of a replica (e.g. http://xds-1:18001)."
            : status.PeerTimeout <= TimeSpan.Zero ? $"Xds:ProxyStatus:PeerTimeout ({status.PeerTimeout}) must be positive." : null;
}
