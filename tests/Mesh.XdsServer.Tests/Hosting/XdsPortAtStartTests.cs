using System.Net;
using System.Net.Sockets;
using Grpc.Net.Client;
using Mesh.Testing;
using Mesh.XdsServer.Hosting;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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

        var listening = Assert.Single(logs.Entries, e => e.Event.Id == 70);
        Assert.Matches($@"^xDS port 127\.0\.0\.1:{grpcPort} listening \d+ ms after the process started: its connections wait in the backlog \(up to 4096\) until the server accepts them$", listening.Message);
        await app.StopAsync(TaskTimeouts.Token());
    }

    [Fact]
    public async Task A_Proxy_That_Reconnects_While_The_Server_Stops_Waits_In_The_Held_Port_And_Is_Reset_At_The_Exit()
    {
        var grpcPort = FreePort();
        var logs = new CapturingLoggerProvider();
        var app = await StartAsync(grpcPort, logs, holdPort: null);
        var port = app.Services.GetRequiredService<XdsPortAtStart>();
        try
        {
            Assert.True(port.Held);

            // Kestrel's listener is closed by the stop (StopListeningFirst, event 33): nothing is accepted any more.
            app.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
            await UntilAsync(() => logs.Entries.Any(e => e.Event.Id == 33));

            // A proxy reconnecting now is not refused: the kernel completes its handshake into the held port's backlog.
            using var waiting = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await waiting.ConnectAsync(IPAddress.Loopback, grpcPort).DefaultTimeout();
            await UntilAsync(() => port.WaitingInBacklog() == 1);

            // The host's stop says what waits (event 36), and the exit (the container's disposal) resets it.
            await app.StopAsync(TaskTimeouts.Token());
            var held = Assert.Single(logs.Entries, e => e.Event.Id == 36);
            Assert.Equal(
                $"xDS port 127.0.0.1:{grpcPort} stays listening, unaccepted, until the process exits (Xds:HoldPortWhileStopping): 1 connections waiting in its backlog are reset then, and their proxies reconnect to the next server",
                held.Message);
            await app.DisposeAsync();
            var reset = await Assert.ThrowsAsync<SocketException>(async () => await waiting.ReceiveAsync(new byte[1]).DefaultTimeout());
            Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
            Assert.False(port.Held);
            await AssertRefusedAsync(grpcPort);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Without_The_Hold_A_Proxy_That_Reconnects_While_The_Server_Stops_Is_Refused()
    {
        var grpcPort = FreePort();
        var logs = new CapturingLoggerProvider();
        await using var app = await StartAsync(grpcPort, logs, holdPort: false);
        Assert.False(app.Services.GetRequiredService<XdsPortAtStart>().Held);

        app.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        await UntilAsync(() => logs.Entries.Any(e => e.Event.Id == 33));

        await AssertRefusedAsync(grpcPort);
        await app.StopAsync(TaskTimeouts.Token());
        Assert.DoesNotContain(logs.Entries, e => e.Event.Id == 36);
    }

    private static async Task<WebApplication> StartAsync(int grpcPort, CapturingLoggerProvider logs, bool? holdPort)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        var settings = new Dictionary<string, string?>
        {
            ["Xds:GrpcUrl"] = $"http://127.0.0.1:{grpcPort}",
            ["Xds:AdminUrl"] = "http://127.0.0.1:0",
            ["Xds:Auth:Mode"] = "None",
            ["Xds:WarmUp:Enabled"] = "false",
        };
        if (holdPort is { } hold)
        {
            settings["Xds:HoldPortWhileStopping"] = hold ? "true" : "false";
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.AddXdsServer();
        var app = builder.Build();
        app.MapXdsServer();
        await app.StartAsync(TaskTimeouts.Token());
        return app;
    }

    private static async Task AssertRefusedAsync(int port)
    {
        using var refused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var error = await Assert.ThrowsAsync<SocketException>(async () => await refused.ConnectAsync(IPAddress.Loopback, port).DefaultTimeout());
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        var token = TaskTimeouts.Token();
        while (!condition())
        {
            await Task.Delay(10, token);
        }
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
}
