using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Grpc.Net.Client;
using Mesh.XdsServer.Hosting;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Tests.Hosting;

/// <summary>
/// The xDS port listens from the moment the host is being built (<see cref="XdsPortAtStart"/>): a proxy that connects
/// while the server builds, checks its database and warms up waits in the port's backlog and is served once the server
/// has started, where it used to be refused (and, as an Envoy, doubled its backoff).
/// </summary>
public sealed class XdsPortAtStartTests
{
    [Fact]
    public async Task A_Proxy_That_Connects_Before_The_Server_Starts_Waits_And_Is_Served()
    {
        var grpcPort = FreePort();
        var logs = new CapturingLoggerProvider();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Xds:GrpcUrl"] = $"http://127.0.0.1:{grpcPort}",
            ["Xds:AdminUrl"] = "http://127.0.0.1:0",
            ["Xds:Auth:Mode"] = "None",
            ["Xds:WarmUp:Enabled"] = "false",
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.AddXdsServer();

        // Built as far as the host's services, nothing started: Kestrel has bound nothing yet.
        using (var early = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await early.ConnectAsync(IPAddress.Loopback, grpcPort).DefaultTimeout();
        }

        await using var app = builder.Build();
        app.MapXdsServer();
        var mesh = MeshRows.Demo();
        app.Services.GetRequiredService<SnapshotProducer>().SetMesh(mesh.Key, mesh.Graph);

        // A proxy's stream opened before the start: its connection and first request wait in the backlog.
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        await using var client = AdsClient.Connect(channel, MeshRows.NodeId("web"));
        var firstRequest = client.SendAsync(TypeUrls.Cluster);

        // Kestrel takes the same socket (a second bind of the port would fail the start) and serves what waited.
        await app.StartAsync(TaskTimeouts.Token());
        await firstRequest;
        var clusters = await client.NextAsync();
        Assert.NotEmpty(clusters.Resources);

        var listening = Assert.Single(logs.Entries, e => e.Event == 70);
        Assert.Matches($@"^xDS port 127\.0\.0\.1:{grpcPort} listening \d+ ms after the process started: its connections wait in the backlog \(up to 4096\) until the server accepts them$", listening.Message);
        await app.StopAsync(TaskTimeouts.Token());
    }

    [Fact]
    public void A_Port_In_Use_Is_Left_To_Kestrel_To_Refuse()
    {
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var port = ((IPEndPoint)other.LocalEndpoint).Port;

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Xds:GrpcUrl"] = $"http://127.0.0.1:{port}" }).Build();

        Assert.Null(XdsPortAtStart.TryListen(configuration));
    }

    [Fact]
    public void A_Port_The_System_Chooses_Is_Not_Listened_On_Early()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Xds:GrpcUrl"] = "http://127.0.0.1:0" }).Build();

        Assert.Null(XdsPortAtStart.TryListen(configuration));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<(int Event, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(Entries);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<(int, string)> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue((eventId.Id, formatter(state, exception)));
        }
    }
}
