using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// One writer per stream, fed by a latest-wins channel: a proxy that stops reading holds up only its own stream,
/// and when it resumes it gets the newest snapshot, not a backlog. Sessions are called directly (grpc-dotnet's
/// unit tier) so that "stopped reading" is a closed gate, not a guess about network buffers.
/// </summary>
public sealed class FlowControlTests
{
    [Fact]
    public async Task A_Stuck_Proxy_Does_Not_Delay_Another_And_Resumes_At_The_Latest_Snapshot()
    {
        var metrics = new XdsMetrics();
        var cache = new SnapshotCache();
        var producer = new SnapshotProducer(cache, new Mesh.Translation.MeshTranslator(), metrics, NullLogger<SnapshotProducer>.Instance);
        var context = new XdsSessionContext(cache, new ProxyIdentityParser(MeshRows.Account), new StreamRegistry(TimeProvider.System), metrics, NullLoggerFactory.Instance);
        var mesh = MeshRows.Demo();
        producer.SetMesh(mesh.Key, mesh.Graph);

        using var stop = new CancellationTokenSource(TaskTimeouts.Default);
        var slowRequests = new ChannelStreamReader<DiscoveryRequest>();
        var slow = new RecordingStreamWriter<DiscoveryResponse>(open: false);
        var fastRequests = new ChannelStreamReader<DiscoveryRequest>();
        var fast = new RecordingStreamWriter<DiscoveryResponse>();
        var slowRun = XdsStreams.RunSotwAsync(context, "ads", null, slowRequests, slow, stop.Token);
        var fastRun = XdsStreams.RunSotwAsync(context, "ads", null, fastRequests, fast, stop.Token);

        var request = new DiscoveryRequest { TypeUrl = TypeUrls.Listener, Node = new Node { Id = MeshRows.NodeId("web") } };
        await slowRequests.Writer.WriteAsync(request);
        await fastRequests.Writer.WriteAsync(request);
        var first = await fast.NextAsync();
        await Eventually.TrueAsync(() => slow.Started == 1); // the slow stream is now stuck in its first write

        var versions = new List<string> { first.VersionInfo };
        for (var port = 8081; port <= 8085; port++)
        {
            producer.SetMesh(mesh.Key, mesh.Node("web", "10.0.0.1", port, "http", "api.demo.local").Graph);
            var update = await fast.NextAsync();
            versions.Add(update.VersionInfo);
        }

        Assert.Equal(6, versions.Distinct().Count());
        Assert.Equal(1, slow.Started);

        slow.Open();
        var slowFirst = await slow.NextAsync();
        var slowLatest = await slow.NextAsync();
        Assert.Equal(versions[0], slowFirst.VersionInfo);
        Assert.Equal(versions[^1], slowLatest.VersionInfo); // the four in between were never queued

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slowRun.DefaultTimeout());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fastRun.DefaultTimeout());
        Assert.Equal(2, slow.Started);
    }
}
