using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using Mesh.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// Nodes on real ADS streams, read by the node-slicing marshaller: a node sent on every request (as Envoy does
/// without <c>set_node_on_first_message_only</c>) is parsed once and shared; a request without one keeps the first;
/// a changed node is honoured; a malformed request ends the call with INVALID_ARGUMENT and is counted and logged.
/// </summary>
public sealed class NodeInterningStreamTests : IAsyncLifetime
{
    private readonly CapturingLoggerProvider _logs = new();
    private XdsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await XdsTestHost.StartAsync(services: s => s.AddSingleton<ILoggerProvider>(_logs));
        var mesh = MeshRows.Demo();
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private NodeInterner Interner => _host.Services.GetRequiredService<NodeInterner>();

    private static Node Node(string name, string zone = "us-west-2a")
    {
        var node = new Node { Id = MeshRows.NodeId(name), Cluster = name, Locality = new Locality { Zone = zone } };
        for (var i = 0; i < 50; i++)
        {
            node.Extensions.Add(new Extension { Name = $"envoy.filters.http.f{i}", Category = "envoy.filters.http" });
        }

        return node;
    }

    private AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> Open() =>
        new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(_host.Channel).StreamAggregatedResources();

    private static async Task<DiscoveryResponse> NextAsync(AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> call)
    {
        Assert.True(await call.ResponseStream.MoveNext(TaskTimeouts.Token()).DefaultTimeout());
        return call.ResponseStream.Current;
    }

    private static Task SendAsync(AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> call, Node? node, string typeUrl, DiscoveryResponse? ack = null) =>
        call.RequestStream.WriteAsync(new DiscoveryRequest
        {
            Node = node,
            TypeUrl = typeUrl,
            VersionInfo = ack?.VersionInfo ?? "",
            ResponseNonce = ack?.Nonce ?? "",
        });

    private StreamStatus StatusOf(string name) => _host.Streams.Streams.Single(s => s.Node?.Id == MeshRows.NodeId(name));

    [Fact]
    public async Task A_Node_Sent_On_Every_Request_By_Two_Proxies_Is_Parsed_Once_And_Shared()
    {
        using var first = Open();
        using var second = Open();
        foreach (var call in new[] { first, second })
        {
            await SendAsync(call, Node("web"), TypeUrls.Cluster);
            var cds = await NextAsync(call);
            await SendAsync(call, Node("web"), TypeUrls.Cluster, cds);
            await SendAsync(call, Node("web"), TypeUrls.Listener);
            Assert.Equal(TypeUrls.Listener, (await NextAsync(call)).TypeUrl);
        }

        var streams = _host.Streams.Streams.Where(s => s.Node is not null).ToList();
        Assert.Equal(2, streams.Count);
        Assert.Same(streams[0].Node, streams[1].Node);
        Assert.Empty(streams[0].Node!.Extensions); // nothing reads them; they are most of a real node's size
        Assert.Equal(1, Interner.Parsed);

        // The second stream's first request found the first's node in the interner; the later requests of either
        // stream carried the bytes its stream's last one did, which the stream's memo answers without the interner.
        Assert.Equal(1, Interner.Reused);
    }

    [Fact]
    public async Task A_Request_Without_A_Node_After_The_First_Is_Served_For_The_First_Node()
    {
        using var call = Open();
        await SendAsync(call, Node("web"), TypeUrls.Cluster);
        var cds = await NextAsync(call);
        await SendAsync(call, null, TypeUrls.Cluster, cds);
        await SendAsync(call, null, TypeUrls.Listener);

        Assert.Equal(TypeUrls.Listener, (await NextAsync(call)).TypeUrl);
        Assert.Equal("us-west-2a", StatusOf("web").Node!.Locality.Zone);
    }

    [Fact]
    public async Task A_Node_Changed_Mid_Stream_Is_Honoured_And_A_Changed_Id_Is_Refused()
    {
        using var call = Open();
        await SendAsync(call, Node("web", zone: "us-west-2a"), TypeUrls.Cluster);
        var cds = await NextAsync(call);
        await SendAsync(call, Node("web", zone: "us-west-2b"), TypeUrls.Cluster, cds);
        await SendAsync(call, null, TypeUrls.Listener);
        Assert.Equal(TypeUrls.Listener, (await NextAsync(call)).TypeUrl);
        Assert.Equal("us-west-2b", StatusOf("web").Node!.Locality.Zone);

        await SendAsync(call, Node("api-v1"), TypeUrls.Route);
        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(TaskTimeouts.Token()).DefaultTimeout())
            {
            }
        });
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("node.id changed", refused.Status.Detail);
    }

    [Fact]
    public async Task A_Large_Node_Changed_On_An_Ack_Is_Noticed()
    {
        // 400 extensions make the node about 40 KB: Kestrel hands such a request over in several blocks, as it does
        // every ACK of an Envoy that sends its node on every request.
        static Node Large(string zone)
        {
            var node = Node("web", zone);
            for (var i = 0; i < 400; i++)
            {
                node.Extensions.Add(new Extension { Name = $"envoy.filters.network.f{i}", Category = "envoy.filters.network", TypeUrls = { $"envoy.extensions.filters.network.f{i}.v3.F{i}" } });
            }

            return node;
        }

        using var call = Open();
        await SendAsync(call, Large("us-west-2a"), TypeUrls.Cluster);
        var cds = await NextAsync(call);
        var held = StatusOf("web").Node;
        await SendAsync(call, Large("us-west-2a"), TypeUrls.Cluster, cds);
        await SendAsync(call, Large("us-west-2b"), TypeUrls.Listener);

        Assert.Equal(TypeUrls.Listener, (await NextAsync(call)).TypeUrl);
        Assert.Equal("us-west-2b", StatusOf("web").Node!.Locality.Zone);
        Assert.NotSame(held, StatusOf("web").Node);
        Assert.Equal(2, Interner.Parsed);
    }

    [Fact]
    public async Task A_Malformed_Request_Ends_The_Call_With_Invalid_Argument_And_Is_Counted_And_Logged()
    {
        var bytes = Marshallers.Create<byte[]>(b => b, b => b);
        var method = new Method<byte[], byte[]>(MethodType.DuplexStreaming, "envoy.service.discovery.v3.AggregatedDiscoveryService", "StreamAggregatedResources", bytes, bytes);
        using var call = _host.Channel.CreateCallInvoker().AsyncDuplexStreamingCall(method, null, default);
        await call.RequestStream.WriteAsync([(DiscoveryRequest.NodeFieldNumber << 3) | 2, 0x7F, 1, 2]);

        var failed = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(TaskTimeouts.Token()).DefaultTimeout())
            {
            }
        });
        Assert.Equal(StatusCode.InvalidArgument, failed.StatusCode);
        Assert.Contains("not a valid DiscoveryRequest", failed.Status.Detail);
        Assert.Equal(1, _host.Metrics.Get("mesh_xds_streams_rejected_total", "reason=\"malformed_request\""));
        var logged = Assert.Single(_logs.Entries, e => e.Event.Id == 38);
        Assert.Equal(("Mesh.XdsServer.Protocol", LogLevel.Warning), (logged.Category, logged.Level));
        Assert.StartsWith("Call to /envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources rejected: the request is not a valid DiscoveryRequest: ", logged.Message);
        Assert.DoesNotContain(_host.Streams.Streams, s => s.Node is not null);
    }
}
