using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// Reading discovery requests with the node sliced out of the wire bytes and interned: the request parses to what
/// the generated parser gives (less the node's extensions), the same node bytes give the same instance, other
/// bytes another, and what is malformed fails as the generated parser fails.
/// </summary>
public sealed class NodeSlicingTests
{
    private readonly NodeInterner _interner = new();

    private static Node EnvoyNode(string id, string zone = "us-west-2a")
    {
        var node = new Node
        {
            Id = id,
            Cluster = "web",
            UserAgentName = "envoy",
            Locality = new Locality { Zone = zone },
            Metadata = new Struct { Fields = { ["mesh.registration"] = Value.ForString("yes") } },
        };
        for (var i = 0; i < 40; i++)
        {
            var extension = new Envoy.Config.Core.V3.Extension { Name = $"envoy.filters.http.f{i}", Category = "envoy.filters.http" };
            extension.TypeUrls.Add($"envoy.extensions.filters.http.f{i}.v3.F{i}");
            node.Extensions.Add(extension);
        }

        node.ClientFeatures.Add("envoy.lb.does_not_support_overprovisioning");
        return node;
    }

    private static DiscoveryRequest Sotw(Node? node) => new()
    {
        VersionInfo = "v1",
        Node = node,
        TypeUrl = TypeUrls.Route,
        ResponseNonce = "7",
        ResourceNames = { "a", "b" },
        ErrorDetail = new Google.Rpc.Status { Code = 3, Message = "bad" },
    };

    private DiscoveryRequest ParseSotw(byte[] bytes) =>
        NodeSlicingMarshaller.Parse(bytes, _interner, DiscoveryRequest.Parser, DiscoveryRequest.NodeFieldNumber, (r, n) => r.Node = n);

    private DeltaDiscoveryRequest ParseDelta(byte[] bytes) =>
        NodeSlicingMarshaller.Parse(bytes, _interner, DeltaDiscoveryRequest.Parser, DeltaDiscoveryRequest.NodeFieldNumber, (r, n) => r.Node = n);

    [Fact]
    public void A_Request_Parses_To_What_The_Generated_Parser_Gives_Less_The_Node_Extensions()
    {
        var sent = Sotw(EnvoyNode("mesh/demo/virtualNode/web"));
        var parsed = ParseSotw(sent.ToByteArray());

        var expected = sent.Clone();
        expected.Node.Extensions.Clear();
        Assert.Equal(expected, parsed);
        Assert.Empty(parsed.Node.Extensions);
        Assert.Equal("us-west-2a", parsed.Node.Locality.Zone);
        Assert.Equal("yes", parsed.Node.Metadata.Fields["mesh.registration"].StringValue);
        Assert.Single(parsed.Node.ClientFeatures);
    }

    [Fact]
    public void A_Delta_Request_Keeps_Every_Field_Around_The_Node()
    {
        var sent = new DeltaDiscoveryRequest
        {
            Node = EnvoyNode("mesh/demo/virtualNode/web"),
            TypeUrl = TypeUrls.Cluster,
            ResourceNamesSubscribe = { "x" },
            ResourceNamesUnsubscribe = { "y" },
            InitialResourceVersions = { ["x"] = "1" },
            ResponseNonce = "3",
        };
        var parsed = ParseDelta(sent.ToByteArray());

        var expected = sent.Clone();
        expected.Node.Extensions.Clear();
        Assert.Equal(expected, parsed);
    }

    [Fact]
    public void Identical_Nodes_Share_One_Instance_And_Are_Parsed_Once()
    {
        var first = ParseSotw(Sotw(EnvoyNode("mesh/demo/virtualNode/web")).ToByteArray());
        var second = ParseSotw(new DiscoveryRequest { Node = EnvoyNode("mesh/demo/virtualNode/web"), TypeUrl = TypeUrls.Cluster }.ToByteArray());
        var delta = ParseDelta(new DeltaDiscoveryRequest { Node = EnvoyNode("mesh/demo/virtualNode/web") }.ToByteArray());

        Assert.Same(first.Node, second.Node);
        Assert.Same(first.Node, delta.Node);
        Assert.Equal(1, _interner.Parsed);
        Assert.Equal(2, _interner.Reused);
        Assert.Equal(1, _interner.Count);
    }

    [Fact]
    public void Streams_Interning_The_Same_Node_At_Once_Get_One_Instance()
    {
        // Lookups take no lock; the parse of a new node is raced, and the loser takes the winner's instance.
        var bytes = Sotw(EnvoyNode("mesh/demo/virtualNode/web")).ToByteArray();
        var nodes = new Node[400];
        Parallel.For(0, nodes.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => nodes[i] = ParseSotw(bytes).Node);

        Assert.All(nodes, n => Assert.Same(nodes[0], n));
        Assert.Equal(1, _interner.Count);
        Assert.Equal(nodes.Length, _interner.Parsed + _interner.Reused);
    }

    [Fact]
    public void A_Node_That_Differs_In_Any_Byte_Gets_Its_Own_Instance()
    {
        var before = ParseSotw(Sotw(EnvoyNode("mesh/demo/virtualNode/web", zone: "us-west-2a")).ToByteArray());
        var after = ParseSotw(Sotw(EnvoyNode("mesh/demo/virtualNode/web", zone: "us-west-2b")).ToByteArray());
        var other = ParseSotw(Sotw(EnvoyNode("mesh/demo/virtualNode/api")).ToByteArray());

        Assert.NotSame(before.Node, after.Node);
        Assert.Equal("us-west-2b", after.Node.Locality.Zone);
        Assert.Equal("mesh/demo/virtualNode/api", other.Node.Id);
        Assert.Equal(3, _interner.Count);
    }

    [Fact]
    public void Nodes_That_Differ_Only_In_Their_Extensions_Share_One_Instance_And_No_Extension_Bytes_Are_Kept()
    {
        var full = EnvoyNode("mesh/demo/virtualNode/web");
        var fewer = EnvoyNode("mesh/demo/virtualNode/web");
        fewer.Extensions.RemoveAt(3);
        var none = EnvoyNode("mesh/demo/virtualNode/web");
        none.Extensions.Clear();

        var first = ParseSotw(Sotw(full).ToByteArray());
        var second = ParseSotw(Sotw(fewer).ToByteArray());
        var third = ParseSotw(Sotw(none).ToByteArray());

        Assert.Same(first.Node, second.Node);
        Assert.Same(first.Node, third.Node);
        Assert.Equal(none, first.Node);
        Assert.Equal(1, _interner.Count);
        Assert.Equal(none.CalculateSize(), _interner.BytesHeld);
        Assert.True(_interner.BytesHeld * 5 < full.CalculateSize(), "the interner keeps the node without its extensions");
    }

    [Fact]
    public void Extensions_Between_Other_Fields_Are_Cut_Out_And_The_Rest_Kept_In_Order()
    {
        // Field order on the wire is the sender's: extensions (9) before and after other fields, twice.
        var id = new Node { Id = "mesh/demo/virtualNode/web" }.ToByteArray();
        var extension = new Node { Extensions = { new Envoy.Config.Core.V3.Extension { Name = "e" } } }.ToByteArray();
        var cluster = new Node { Cluster = "web" }.ToByteArray();
        byte[] bytes = [.. extension, .. id, .. extension, .. cluster, .. extension];

        byte[]? rented = null;
        var kept = NodeInterner.WithoutExtensions(bytes, ref rented).ToArray();

        Assert.Equal([.. id, .. cluster], kept);
        Assert.NotNull(rented);
        Assert.Equal(new Node { Id = "mesh/demo/virtualNode/web", Cluster = "web" }, _interner.Intern(bytes));
    }

    [Fact]
    public void A_Request_Without_A_Node_Has_None()
    {
        var parsed = ParseSotw(Sotw(null).ToByteArray());

        Assert.Null(parsed.Node);
        Assert.Equal(Sotw(null), parsed);
        Assert.Equal(0, _interner.Count);
    }

    public static TheoryData<byte[]> Odd()
    {
        var good = Sotw(EnvoyNode("mesh/demo/virtualNode/web")).ToByteArray();
        var nodeAsVarint = new byte[] { (DiscoveryRequest.NodeFieldNumber << 3) | 0, 5 };
        var nodeWithBadLength = new byte[] { (DiscoveryRequest.NodeFieldNumber << 3) | 2, 0x7F, 1, 2 };
        var badInsideNode = new byte[] { (DiscoveryRequest.NodeFieldNumber << 3) | 2, 3, (1 << 3) | 2, 9, 0x41 };
        return new TheoryData<byte[]> { good[..(good.Length / 2)], nodeAsVarint, nodeWithBadLength, badInsideNode, new byte[] { 0xFF, 0xFF, 0xFF } };
    }

    [Theory]
    [MemberData(nameof(Odd))]
    public void Odd_Bytes_Are_Read_As_The_Generated_Parser_Reads_Them(byte[] bytes)
    {
        DiscoveryRequest expected;
        try
        {
            expected = DiscoveryRequest.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            Assert.Throws<InvalidProtocolBufferException>(() => ParseSotw(bytes));
            return;
        }

        Assert.Equal(expected, ParseSotw(bytes)); // e.g. a node field of the wrong wire type is an unknown field to both
    }

    [Fact]
    public void A_Node_Whose_Streams_Are_Gone_Is_Parsed_Again()
    {
        var bytes = Sotw(EnvoyNode("mesh/demo/virtualNode/web")).ToByteArray();
        ParseOnceAndDrop(bytes);
        GC.Collect();
        GC.WaitForPendingFinalizers();

        Assert.NotNull(ParseSotw(bytes).Node);
        Assert.Equal(2, _interner.Parsed);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void ParseOnceAndDrop(byte[] bytes) => Assert.NotNull(ParseSotw(bytes).Node);
}
