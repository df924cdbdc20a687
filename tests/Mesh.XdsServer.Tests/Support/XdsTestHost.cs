using Grpc.Net.Client;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Hosting;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Snapshots;
using Mesh.Translation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// The real server, hosted in-process on loopback ports chosen by the OS: the same Kestrel h2c listener, services
/// and endpoints that Program.cs builds, with the product's translator. Without a connection string its meshes are
/// set through <see cref="Producer"/>.
/// </summary>
public sealed class XdsTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private XdsTestHost(WebApplication app, Uri grpc, Uri admin)
    {
        _app = app;
        GrpcUri = grpc;
        AdminUri = admin;
        Channel = GrpcChannel.ForAddress(grpc);
        Admin = new HttpClient { BaseAddress = admin };
    }

    public Uri GrpcUri { get; }

    public Uri AdminUri { get; }

    public GrpcChannel Channel { get; }

    /// <summary>What the xDS server's CSDS says every connected client holds.</summary>
    public async Task<Envoy.Service.Status.V3.ClientStatusResponse> ClientStatusAsync() =>
        await new Envoy.Service.Status.V3.ClientStatusDiscoveryService.ClientStatusDiscoveryServiceClient(Channel)
            .FetchClientStatusAsync(new Envoy.Service.Status.V3.ClientStatusRequest()).ResponseAsync.DefaultTimeout();

    /// <summary>A TCP port free on every interface, for a server the test starts (a real gRPC server binds it).</summary>
    public static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Any, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    public HttpClient Admin { get; }

    public IServiceProvider Services => _app.Services;

    public SnapshotCache Cache => Services.GetRequiredService<SnapshotCache>();

    public SnapshotProducer Producer => Services.GetRequiredService<SnapshotProducer>();

    public StreamRegistry Streams => Services.GetRequiredService<StreamRegistry>();

    public XdsMetrics Metrics => Services.GetRequiredService<XdsMetrics>();

    /// <summary>
    /// Waits until the server has processed what a client sent (an ACK, a NACK, an unsubscribe), as its CSDS
    /// bookkeeping shows. A test that changes the mesh next would otherwise race the request it just sent.
    /// </summary>
    public Task ProcessedAsync(string typeUrl, string name, Envoy.Admin.V3.ClientResourceStatus? status) =>
        Eventually.TrueAsync(() => Streams.Streams.Any(s =>
            s.Resources.TryGetValue((typeUrl, name), out var r) ? r.ClientStatus == status : status is null));

    public static async Task<XdsTestHost> StartAsync(
        string? connectionString = null,
        IProxyTranslator? translator = null,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        var config = new Dictionary<string, string?>
        {
            ["Xds:GrpcUrl"] = "http://127.0.0.1:0",
            ["Xds:AdminUrl"] = "http://127.0.0.1:0",
            ["ConnectionStrings:Mesh"] = connectionString,
            ["Xds:Feed:PollInterval"] = "00:00:00.500",
            ["Xds:Feed:MinBackoff"] = "00:00:00.100",
            ["Xds:Feed:MaxBackoff"] = "00:00:01",

            // Authentication has its own tests (Auth/); the protocol tests run as local development does.
            ["Xds:Auth:Mode"] = "None",

            // The start-up warm-up has its own tests (Hosting/WarmUpTests); it costs about a second of CPU per start,
            // which some fifty hosts in this suite would pay for nothing. The spawned servers (XdsProcess) keep it on.
            ["Xds:WarmUp:Enabled"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (translator is not null)
        {
            builder.Services.AddSingleton(translator);
        }

        services?.Invoke(builder.Services);
        builder.AddXdsServer();
        var app = builder.Build();
        app.MapXdsServer();
        await app.StartAsync(TaskTimeouts.Token());

        // Kestrel reports its endpoints in the order they were configured: gRPC first, then admin.
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();
        return new XdsTestHost(app, new Uri(addresses[0]), new Uri(addresses[1]));
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        Channel.Dispose();
        await _app.StopAsync(TaskTimeouts.Token());
        await _app.DisposeAsync();
    }
}
