using System.Net;
using System.Net.Sockets;
using Mesh.Model.Graph;
using Mesh.Translation;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Hosting.WarmUp;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.XdsServer.Tests.Hosting;

/// <summary>
/// The start-up warm-up (<see cref="XdsWarmUp"/>): it runs the real translation and sessions before the server
/// accepts connections, and leaves nothing behind that a proxy, <c>/proxy-status</c> or a scrape could see.
/// </summary>
public sealed class WarmUpTests
{
    [Fact]
    public async Task It_Translates_Before_The_Server_Accepts_A_Connection()
    {
        var grpcPort = FreePort();
        var adminPort = FreePort();
        var translator = new ListenerProbingTranslator(grpcPort, adminPort);

        await using var host = await XdsTestHost.StartAsync(translator: translator, settings: new Dictionary<string, string?>
        {
            ["Xds:GrpcUrl"] = $"http://127.0.0.1:{grpcPort}",
            ["Xds:AdminUrl"] = $"http://127.0.0.1:{adminPort}",
            ["Xds:WarmUp:Enabled"] = "true",
        });

        Assert.True(translator.WarmUpTranslations > 0, "the warm-up translated nothing through the server's translator");
        Assert.Equal(0, translator.AdminAcceptedDuringWarmUp);

        // The gRPC port listens from the start (XdsPortAtStart): a proxy's connection waits in its backlog meanwhile,
        // where it used to be refused (XdsPortAtStartTests: it is served once the server has started).
        Assert.Equal(translator.WarmUpTranslations, translator.GrpcConnectedDuringWarmUp);

        // The same probe succeeds once the server has started, so the check above can fail.
        Assert.True(await ListenerProbingTranslator.AcceptsAsync(grpcPort), "the gRPC listener did not accept after start");
        Assert.True(await ListenerProbingTranslator.AcceptsAsync(adminPort), "the admin listener did not accept after start");
    }

    [Fact]
    public async Task It_Leaves_Nothing_A_Proxy_Or_A_Scrape_Can_See()
    {
        await using var host = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Xds:WarmUp:Enabled"] = "true" });
        var warmUp = host.Services.GetRequiredService<XdsWarmUp>();
        var nodes = host.Services.GetRequiredService<NodeInterner>();

        Assert.NotNull(warmUp.Result);
        Assert.True(warmUp.Result.Elapsed > TimeSpan.Zero);
        Assert.Equal(0, host.Cache.WatchedIdentities);
        Assert.Empty(host.Cache.Snapshots());
        Assert.Empty(host.Producer.Meshes);
        Assert.Equal(0, host.Producer.InternedResources);
        Assert.Equal(0, host.Streams.Count);
        Assert.Equal(0, nodes.Count);
        Assert.Equal(0, nodes.Parsed);
        Assert.Equal(0, host.Metrics.Get("mesh_xds_snapshots_built_total"));
        Assert.Equal(0, host.Metrics.Get("mesh_xds_identities_rebuilt_total"));
        foreach (var variant in XdsMetrics.StreamVariants)
        {
            Assert.Equal(0, host.Metrics.Get("mesh_xds_streams_opened_total", $"variant=\"{variant}\""));
        }

        var metrics = await host.Admin.GetStringAsync("/metrics").DefaultTimeout();
        foreach (var type in new[] { "lds", "rds", "cds", "eds" })
        {
            Assert.Equal(0, PrometheusText.Value(metrics, "mesh_xds_acks_total", ("type", type)));
        }

        Assert.Equal(0, PrometheusText.Value(metrics, "mesh_xds_warm_up_failures_total"));
        Assert.True(PrometheusText.Value(metrics, "mesh_xds_warm_up_seconds") > 0, "the warm-up's duration is not in /metrics");
        Assert.True(PrometheusText.Value(metrics, "mesh_xds_warm_up_jit_methods") >= 0);
        Assert.Equal(0, PrometheusText.Value(metrics, "mesh_xds_connected_proxies"));

        // A real proxy afterwards is served from the server's own cache, which the warm-up never filled.
        var mesh = MeshRows.Demo();
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        var clusters = await client.NextAsync();
        Assert.NotEmpty(clusters.Resources);
        Assert.Equal(1, host.Cache.WatchedIdentities);
        Assert.Equal(1, nodes.Parsed);
    }

    [Fact]
    public async Task Turned_Off_It_Does_Not_Run_And_Reports_Zero()
    {
        var translator = new ListenerProbingTranslator(FreePort(), FreePort());

        await using var host = await XdsTestHost.StartAsync(translator: translator, settings: new Dictionary<string, string?> { ["Xds:WarmUp:Enabled"] = "false" });

        Assert.Null(host.Services.GetRequiredService<XdsWarmUp>().Result);
        Assert.Equal(0, translator.WarmUpTranslations);
        var metrics = await host.Admin.GetStringAsync("/metrics").DefaultTimeout();
        Assert.Equal(0, PrometheusText.Value(metrics, "mesh_xds_warm_up_seconds"));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The product's translator; each translation of the warm-up's mesh first tries to connect to the server's two ports.</summary>
    private sealed class ListenerProbingTranslator(int grpcPort, int adminPort) : IProxyTranslator
    {
        private readonly MeshTranslator _inner = new();
        private int _warmUpTranslations;
        private int _grpcConnected;
        private int _adminAccepted;

        public int WarmUpTranslations => Volatile.Read(ref _warmUpTranslations);

        /// <summary>Warm-up translations during which a connection to the gRPC port was made (into its backlog).</summary>
        public int GrpcConnectedDuringWarmUp => Volatile.Read(ref _grpcConnected);

        public int AdminAcceptedDuringWarmUp => Volatile.Read(ref _adminAccepted);

        public ProxyResources TranslateProxy(MeshGraph graph, ProxyTarget target)
        {
            if (graph.MeshName == WarmUpMesh.Name)
            {
                Interlocked.Increment(ref _warmUpTranslations);
                if (AcceptsAsync(grpcPort).GetAwaiter().GetResult())
                {
                    Interlocked.Increment(ref _grpcConnected);
                }

                if (AcceptsAsync(adminPort).GetAwaiter().GetResult())
                {
                    Interlocked.Increment(ref _adminAccepted);
                }
            }

            return _inner.TranslateProxy(graph, target);
        }

        public static async Task<bool> AcceptsAsync(int port)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(5));
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }
    }
}
