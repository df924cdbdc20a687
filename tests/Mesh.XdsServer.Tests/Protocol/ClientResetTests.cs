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
/// A proxy that resets its stream (RST_STREAM CANCEL, what a client's cancel sends) has gone away: an ordinary end
/// of the stream, not an error. Kestrel fails the stream's pending read with an IOException ("The client reset the
/// request stream") before it cancels the call's token, sometimes by a few microseconds; a stream that threw it was
/// logged by gRPC as a failed call with its stack. Here the read fails that way with the call's token never
/// cancelled, the order in which it went wrong.
/// </summary>
public sealed class ClientResetTests
{
    [Fact]
    public async Task A_Stream_Whose_Read_Fails_With_A_Client_Reset_Ends_Normally_And_Leaves_The_Registry()
    {
        var metrics = new XdsMetrics();
        var cache = new SnapshotCache();
        var producer = new SnapshotProducer(cache, new Mesh.Translation.MeshTranslator(), metrics, NullLogger<SnapshotProducer>.Instance);
        var registry = new StreamRegistry(TimeProvider.System);
        var context = new XdsSessionContext(cache, new ProxyIdentityParser(MeshRows.Account), registry, metrics, NullLoggerFactory.Instance);
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
    }
}
