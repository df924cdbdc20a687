using System.Runtime.CompilerServices;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using static Envoy.Admin.V3.ClientResourceStatus;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// A SotW response whose resources are a list the snapshot shares is written as that list's one encoding
/// (<see cref="SharedSotwResponses"/>) and the stream's nonce: the bytes must be exactly those the generated serializer
/// writes for the whole response, for every type, list and nonce, and what clients decode must be what the
/// snapshot holds for them, through changes, removals and a NACK.
/// </summary>
public sealed class SharedSotwResponseTests : IAsyncLifetime
{
    private const string Billing = "cds_egress_demo_billing_grpc_7000";
    private const string ApiV2 = "cds_proxyless_demo_api-v2_http_9080";
    private const string Rds = "rds_egress_http_9080";

    private XdsTestHost _host = null!;
    private MeshRows _mesh = null!;

    public async Task InitializeAsync()
    {
        _host = await XdsTestHost.StartAsync();
        _mesh = MeshRows.Demo();
        _host.Producer.SetMesh(_mesh.Key, _mesh.Graph);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public static TheoryData<string, int, string> Shapes()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var typeUrl in new[] { TypeUrls.Cluster, TypeUrls.Endpoint, TypeUrls.Listener, TypeUrls.Route })
        {
            data.Add(typeUrl, 3, "17");
            data.Add(typeUrl, 1, "c42");
            data.Add(typeUrl, 0, "1");
            data.Add(typeUrl, 2, ""); // proto3 leaves an empty nonce out
            data.Add(typeUrl, 2, new string('n', 200)); // a length of two varint bytes
            data.Add(typeUrl, 1, "nonce-é✓"); // UTF-8 of more than one byte a character
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task The_Shared_Encoding_And_Nonce_Are_The_Generated_Serializers_Bytes(string typeUrl, int count, string nonce)
    {
        var resources = Enumerable.Range(0, count).Select(i => Resource(typeUrl, $"r{i}")).ToArray();
        var set = new ResourceSet(resources);
        var version = set.WildcardVersion;
        var response = Response(set.Wildcard, version, typeUrl, nonce);

        var written = await WriteThroughMarshallerAsync(response, SharedSotwResponses.EncodingOf(set.Wildcard, version, typeUrl));

        Assert.Equal(response.ToByteArray(), written);
        Assert.Equal(response, DiscoveryResponse.Parser.ParseFrom(written));
    }

    [Fact]
    public async Task A_Response_Not_Written_As_Shared_Is_Serialised_As_Generated()
    {
        var response = Response([Resource(TypeUrls.Cluster, "a")], "v", TypeUrls.Cluster, "3");
        response.Canary = true; // a field the shared encoding never carries: it must come out because this path is the generated one

        var written = await WriteThroughMarshallerAsync(response, encoding: null);

        Assert.Equal(response.ToByteArray(), written);
    }

    [Fact]
    public async Task A_Writer_That_Serialises_After_The_Write_Returned_Gets_The_Generated_Bytes()
    {
        var set = new ResourceSet([Resource(TypeUrls.Listener, "a")]);
        var response = Response(set.Wildcard, set.WildcardVersion, TypeUrls.Listener, "9");
        var marshaller = SharedSotwResponses.Marshaller(Marshallers.Create(r => r.ToByteArray(), DiscoveryResponse.Parser.ParseFrom));
        var later = new RecordingStreamWriter<DiscoveryResponse>();

        await SharedSotwResponses.WriteAsync(later, response, SharedSotwResponses.EncodingOf(set.Wildcard, set.WildcardVersion, TypeUrls.Listener), CancellationToken.None);
        var context = new RecordingSerializationContext();
        marshaller.ContextualSerializer(await later.NextAsync(), context);

        Assert.Equal(response.ToByteArray(), context.Bytes);
    }

    [Fact]
    public void One_List_At_One_Version_Is_Encoded_Once_And_An_Empty_List_Per_Type()
    {
        var set = new ResourceSet([Resource(TypeUrls.Route, "a"), Resource(TypeUrls.Route, "b")]);
        var named = set.Named(["b"]);

        var first = SharedSotwResponses.EncodingOf(named.Resources, named.Version, TypeUrls.Route);
        var again = SharedSotwResponses.EncodingOf(named.Resources, named.Version, TypeUrls.Route);
        var wildcard = SharedSotwResponses.EncodingOf(set.Wildcard, set.WildcardVersion, TypeUrls.Route);

        Assert.Same(first, again);
        Assert.NotSame(first, wildcard);

        // Empty sets of two types may share one empty array: each type gets an encoding with its own type URL.
        var emptyClusters = new ResourceSet([]);
        var emptyListeners = new ResourceSet([]);
        var clusters = SharedSotwResponses.EncodingOf(emptyClusters.Wildcard, emptyClusters.WildcardVersion, TypeUrls.Cluster);
        var listeners = SharedSotwResponses.EncodingOf(emptyListeners.Wildcard, emptyListeners.WildcardVersion, TypeUrls.Listener);
        Assert.Equal(TypeUrls.Cluster, clusters.TypeUrl);
        Assert.Equal(TypeUrls.Listener, listeners.TypeUrl);
    }

    [Fact]
    public void The_Encoding_Goes_When_No_Stream_Holds_It_Though_Its_List_Lives()
    {
        var set = new ResourceSet([Resource(TypeUrls.Cluster, "a")]);
        var weak = EncodeAndForget(set);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(weak.TryGetTarget(out _));
        GC.KeepAlive(set);
    }

    [Fact]
    public async Task Streams_Of_One_Identity_Decode_What_The_Snapshot_Holds_And_Share_One_Encoding()
    {
        await using var one = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await using var two = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        var clients = new[] { one, two };

        // Wildcard CDS and LDS, named EDS and RDS, on both streams.
        var first = new List<DiscoveryResponse>();
        foreach (var client in clients)
        {
            first.Add(await RequestAsync(client, TypeUrls.Cluster));
            first.Add(await RequestAsync(client, TypeUrls.Listener));
            first.Add(await RequestAsync(client, TypeUrls.Endpoint, [ApiV2]));
            first.Add(await RequestAsync(client, TypeUrls.Route, [Rds]));
        }

        var snapshot = Assert.Single(_host.Cache.Snapshots());
        foreach (var response in first)
        {
            AssertIsWhatTheSnapshotHolds(snapshot, response);
        }

        // Neither stream has answered yet, so the encoding the streams wrote of each list the snapshot shares is alive.
        foreach (var response in first)
        {
            var list = response.TypeUrl is TypeUrls.Endpoint ? snapshot[TypeUrls.Endpoint].Named([ApiV2]).Resources
                : response.TypeUrl is TypeUrls.Route ? snapshot[TypeUrls.Route].Named([Rds]).Resources
                : snapshot[response.TypeUrl].Wildcard;
            Assert.True(SharedSotwResponses.TryFind(list, response.VersionInfo, response.TypeUrl, out _), response.TypeUrl);
        }

        Assert.True(SharedSotwResponses.TryFind(snapshot[TypeUrls.Cluster].Wildcard, first[0].VersionInfo, TypeUrls.Cluster, out var cds));
        Assert.Equal(first[0].VersionInfo, first[4].VersionInfo);
        Assert.Equal(first[0].CalculateSize() - Nonce(first[0]), cds.Length);
    }

    [Fact]
    public async Task Removals_Empty_Lists_And_A_Nacked_Version_Decode_As_The_Snapshot_Holds()
    {
        // MeshRows changes in place: each graph is taken when set.
        _host.Producer.SetMesh(_mesh.Key, WebWithBilling().Graph);
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        var cds = await RequestAsync(client, TypeUrls.Cluster);
        while (!cds.Resources.Any(r => r.Unpack<Cluster>().Name == Billing))
        {
            await client.AckAsync(cds); // the snapshot of the mesh before billing: the next one has it
            cds = await client.NextAsync();
        }

        // Billing's endpoints, by the name the snapshot gives them (named EDS).
        var billingEndpoints = Assert.Single(Assert.Single(_host.Cache.Snapshots())[TypeUrls.Endpoint].All, r => r.Name.Contains("billing")).Name;
        var eds = await RequestAsync(client, TypeUrls.Endpoint, [billingEndpoints]);
        Assert.Equal(billingEndpoints, Assert.Single(AdsClient.Unpack<ClusterLoadAssignment>(eds)).ClusterName);
        await client.AckAsync(cds);
        await client.AckAsync(eds, [billingEndpoints]);
        await _host.ProcessedAsync(TypeUrls.Endpoint, billingEndpoints, Acked);

        // Billing goes: the named EDS list is empty, and CDS without it comes after (make-before-break: the union of
        // old and new is what the client holds already, so it is not sent again).
        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("web", "10.0.0.1", 8080, "http", "api.demo.local").Graph);
        var responses = new List<DiscoveryResponse> { await client.NextAsync() };
        while (responses.Count < 6 && !(responses[^1].TypeUrl == TypeUrls.Cluster && responses[^1].Resources.All(r => r.Unpack<Cluster>().Name != Billing)))
        {
            responses.Add(await client.NextAsync());
        }

        var snapshot = Assert.Single(_host.Cache.Snapshots());
        var sent = string.Join(", ", responses.Select(r => $"{TypeUrls.ShortName(r.TypeUrl)}:{r.Resources.Count}"));
        Assert.True(responses is [{ TypeUrl: TypeUrls.Endpoint, Resources.Count: 0 }, { TypeUrl: TypeUrls.Cluster }], sent);
        var emptyEds = responses[0];
        AssertIsWhatTheSnapshotHolds(snapshot, emptyEds, [billingEndpoints]);
        var finalCds = responses[^1];
        Assert.DoesNotContain(Billing, finalCds.Resources.Select(r => r.Unpack<Cluster>().Name));
        AssertIsWhatTheSnapshotHolds(snapshot, finalCds);

        // The final CDS is NACKed: not sent again; the next version is, and decodes as the snapshot holds it.
        // (What it refused of the clusters it keeps is billing's removal: the others are unchanged, still ACKed.)
        await client.NackAsync(finalCds, cds.VersionInfo, "rejected by test");
        await _host.ProcessedAsync(TypeUrls.Cluster, Billing, Nacked);
        _host.Producer.SetMesh(_mesh.Key, WebWithBilling().Graph);
        var next = await client.NextAsync();
        while (next.TypeUrl != TypeUrls.Cluster)
        {
            next = await client.NextAsync();
        }

        Assert.NotEqual(finalCds.VersionInfo, next.VersionInfo);
        AssertIsWhatTheSnapshotHolds(Assert.Single(_host.Cache.Snapshots()), next);
    }

    private MeshRows WebWithBilling() => _mesh.Node("web", "10.0.0.1", 8080, "http", "api.demo.local", "billing.demo.local");

    private static async Task<DiscoveryResponse> RequestAsync(AdsClient client, string typeUrl, string[]? names = null)
    {
        await client.SendAsync(typeUrl, names);
        return await client.NextAsync();
    }

    /// <summary>The response is the generated message for what the snapshot holds for a wildcard (or those names), nonce aside.</summary>
    private static void AssertIsWhatTheSnapshotHolds(Snapshot snapshot, DiscoveryResponse response, string[]? names = null)
    {
        var set = snapshot[response.TypeUrl];
        names ??= response.TypeUrl is TypeUrls.Endpoint ? [ApiV2] : response.TypeUrl is TypeUrls.Route ? [Rds] : null;
        var resources = names is null ? set.Wildcard : names.Select(n => set.ByName.GetValueOrDefault(n)).OfType<XdsResource>().ToList();
        Assert.Equal(Response(resources, Hashing.VersionOf(resources), response.TypeUrl, response.Nonce), response);
    }

    private static DiscoveryResponse Response(IReadOnlyList<XdsResource> resources, string version, string typeUrl, string nonce)
    {
        var response = new DiscoveryResponse { VersionInfo = version, TypeUrl = typeUrl, Nonce = nonce };
        response.Resources.Add(resources.Select(r => r.Packed));
        return response;
    }

    private static int Nonce(DiscoveryResponse response) => 1 + CodedOutputStream.ComputeStringSize(response.Nonce);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference<SotwEncoding> EncodeAndForget(ResourceSet set) =>
        new(SharedSotwResponses.EncodingOf(set.Wildcard, set.WildcardVersion, TypeUrls.Cluster));

    /// <summary>Writes through the SotW methods' response marshaller, as gRPC does inside the stream's write.</summary>
    /// <remarks>With an encoding, the generated serializer must not be called at all: the bytes are the shared path's.</remarks>
    private static async Task<byte[]> WriteThroughMarshallerAsync(DiscoveryResponse response, SotwEncoding? encoding)
    {
        Func<DiscoveryResponse, byte[]> generated = encoding is null ? r => r.ToByteArray() : _ => throw new InvalidOperationException("serialised by the generated path");
        var marshaller = SharedSotwResponses.Marshaller(Marshallers.Create(generated, DiscoveryResponse.Parser.ParseFrom));
        var writer = new SerializingWriter(marshaller);
        if (encoding is null)
        {
            await writer.WriteAsync(response);
        }
        else
        {
            await SharedSotwResponses.WriteAsync(writer, response, encoding, CancellationToken.None);
        }

        return writer.Written;
    }

    private static XdsResource Resource(string typeUrl, string name) => XdsResource.Create(typeUrl, name, typeUrl switch
    {
        TypeUrls.Cluster => new Cluster { Name = name, ConnectTimeout = new Google.Protobuf.WellKnownTypes.Duration { Seconds = 1 } },
        TypeUrls.Endpoint => new ClusterLoadAssignment { ClusterName = name },
        TypeUrls.Listener => new Listener { Name = name },
        _ => new RouteConfiguration { Name = name },
    });

    private sealed class SerializingWriter(Marshaller<DiscoveryResponse> marshaller) : IServerStreamWriter<DiscoveryResponse>
    {
        public byte[] Written { get; private set; } = [];

        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(DiscoveryResponse message)
        {
            var context = new RecordingSerializationContext();
            marshaller.ContextualSerializer(message, context);
            Written = context.Bytes;
            return Task.CompletedTask;
        }
    }
}
