using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Mesh.Testing;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// A proxy that resets its stream (RST_STREAM CANCEL, what a client's cancel sends) has gone away: an ordinary end
/// of the stream, not an error. Kestrel fails the stream's pending read with an IOException ("The client reset the
/// request stream") before it cancels the call's token, sometimes by a few microseconds; a stream that threw it was
/// logged by gRPC as a failed call with its stack. Here the read fails that way with the call's token never
/// cancelled, the order in which it went wrong. Such an end is logged at Debug only (event 2, as every stream's close):
/// thousands of proxies restarting at once reset as many streams.
/// </summary>
public sealed class ClientResetTests
{
    [Fact]
    public async Task A_Stream_Whose_Read_Fails_With_A_Client_Reset_Ends_Normally_Leaves_The_Registry_And_Says_Why_At_Debug()
    {
        var logs = new CapturingLoggers();
        var metrics = new XdsMetrics();
        var cache = new SnapshotCache();
        var producer = new SnapshotProducer(cache, new Mesh.Translation.MeshTranslator(), metrics, NullLogger<SnapshotProducer>.Instance);
        var registry = new StreamRegistry(TimeProvider.System);
        var context = new XdsSessionContext(cache, new ProxyIdentityParser(MeshRows.Account), registry, metrics, logs);
        var mesh = MeshRows.Demo();
        producer.SetMesh(mesh.Key, mesh.Graph);

        var sotwRequests = new ChannelStreamReader<DiscoveryRequest>();
        var sotwResponses = new RecordingStreamWriter<DiscoveryResponse>();
        var sotw = XdsStreams.RunSotwAsync(context, "ads", null, sotwRequests, sotwResponses, CancellationToken.None);
        await sotwRequests.Writer.WriteAsync(new DiscoveryRequest { TypeUrl = TypeUrls.Cluster, Node = new Node { Id = MeshRows.NodeId("web") } });
        await sotwResponses.NextAsync();

        var deltaRequests = new ChannelStreamReader<DeltaDiscoveryRequest>();
        var deltaResponses = new RecordingStreamWriter<DeltaDiscoveryResponse>();
        var delta = XdsStreams.RunDeltaAsync(context, "ads-delta", null, deltaRequests, deltaResponses, CancellationToken.None);
        await deltaRequests.Writer.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Cluster, Node = new Node { Id = MeshRows.NodeId("web") } });
        await deltaResponses.NextAsync();
        Assert.Equal(2, registry.Streams.Count());

        sotwRequests.Writer.Complete(new IOException("The client reset the request stream."));
        deltaRequests.Writer.Complete(new IOException("The client reset the request stream."));

        await sotw.DefaultTimeout();
        await delta.DefaultTimeout();
        Assert.Empty(registry.Streams);

        // Each stream's close names the stream, the proxy and why, at Debug; nothing above Debug was logged.
        var closed = logs.Logger.Entries.Where(e => e.Event.Id == 2).ToList();
        Assert.Equal(2, closed.Count);
        Assert.All(closed, e =>
        {
            Assert.Equal(LogLevel.Debug, e.Level);
            Assert.Matches(
                @"^Stream \d+ \(111122223333:mesh/demo/virtualNode/web\) closed: the proxy reset the stream or its connection closed \(The client reset the request stream\.\)$",
                e.Message);
        });
        Assert.DoesNotContain(logs.Logger.Entries, e => e.Level > LogLevel.Debug);
    }

    [Fact]
    public async Task A_Stream_The_Proxy_Closes_Says_So_At_Debug()
    {
        var logs = new CapturingLoggers();
        var cache = new SnapshotCache();
        var context = new XdsSessionContext(cache, new ProxyIdentityParser(MeshRows.Account), new StreamRegistry(TimeProvider.System), new XdsMetrics(), logs);
        var requests = new ChannelStreamReader<DeltaDiscoveryRequest>();
        var delta = XdsStreams.RunDeltaAsync(context, "ads-delta", null, requests, new RecordingStreamWriter<DeltaDiscoveryResponse>(), CancellationToken.None);
        await requests.Writer.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Cluster, Node = new Node { Id = MeshRows.NodeId("web") } });

        requests.Writer.Complete();
        await delta.DefaultTimeout();
        var closed = Assert.Single(logs.Logger.Entries, e => e.Event.Id == 2);
        Assert.Equal(LogLevel.Debug, closed.Level);
        Assert.Matches(@"^Stream \d+ \(111122223333:mesh/demo/virtualNode/web\) closed: the proxy closed its side$", closed.Message);
    }

    [Fact]
    public async Task A_Proxy_That_Resets_Its_Stream_Is_Logged_At_Debug_As_Gone()
    {
        var logs = new CapturingLoggers();
        await using var host = await XdsTestHost.StartAsync(
            settings: new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Mesh.XdsServer.Protocol"] = "Debug",

                // ASP.NET Core's "Request finished" line: written once the call is done, gRPC's own handling of how the
                // service method ended (where a stream that threw is logged at Error) included.
                ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
            },
            services: s => s.AddSingleton<ILoggerProvider>(logs));
        var mesh = MeshRows.Demo();
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        var call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(host.Channel).DeltaAggregatedResources();
        await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Cluster, Node = new Node { Id = MeshRows.NodeId("web") } });
        Assert.True(await call.ResponseStream.MoveNext(TaskTimeouts.Token()));

        // Disposing a call that has not ended resets its stream (RST_STREAM CANCEL), as a proxy that goes away does.
        call.Dispose();

        // The stream's close is logged before gRPC sees how the service method ended, and the request finishes after:
        // only then can nothing more be logged of the call (a stream that threw is logged at Error by gRPC in between).
        await Eventually.TrueAsync(() => logs.Logger.Entries.Any(e => e.Message.StartsWith("Request finished HTTP/2 POST", StringComparison.Ordinal)));
        Assert.Empty(host.Streams.Streams);
        var closed = Assert.Single(logs.Logger.Entries, e => e.Event.Name == "StreamClosed");
        Assert.Equal(LogLevel.Debug, closed.Level);
        Assert.Matches(@"^Stream \d+ \(111122223333:mesh/demo/virtualNode/web\) closed: the proxy reset the stream or its connection closed", closed.Message);
        Assert.DoesNotContain(logs.Logger.Entries, e => e.Level >= LogLevel.Error);
    }

    /// <summary>Every logger the sessions (or a host) make is one that keeps its lines, at every level.</summary>
    private sealed class CapturingLoggers : ILoggerFactory, ILoggerProvider
    {
        public CapturingLogger<ClientResetTests> Logger { get; } = new();

        public ILogger CreateLogger(string categoryName) => Logger;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }
}
