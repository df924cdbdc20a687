using System.Buffers;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// Requests that reach the marshaller in several segments (Kestrel hands a 49 KB request over in 4 KB blocks) must
/// read exactly as one array does, wherever the segment boundaries fall (inside a tag, a length, the node), and what
/// is malformed must fail with INVALID_ARGUMENT as the generated parser fails.
/// </summary>
public sealed class SegmentedRequestTests
{
    private readonly NodeInterner _interner = new();

    private static Node LargeNode(string id, string zone = "us-west-2a", int extensions = 400)
    {
        var node = new Node { Id = id, Cluster = "web", UserAgentName = "envoy", Locality = new Locality { Zone = zone } };
        for (var i = 0; i < extensions; i++)
        {
            var extension = new Envoy.Config.Core.V3.Extension { Name = $"envoy.filters.http.f{i}", Category = "envoy.filters.http" };
            extension.TypeUrls.Add($"envoy.extensions.filters.http.f{i}.v3.F{i}");
            node.Extensions.Add(extension);
        }

        node.ClientFeatures.Add("envoy.lb.does_not_support_overprovisioning");
        return node;
    }

    private static DiscoveryRequest Ack(Node? node) => new()
    {
        VersionInfo = "v1",
        Node = node,
        TypeUrl = TypeUrls.Route,
        ResponseNonce = "7",
        ResourceNames = { "a", "b" },
    };

    private DiscoveryRequest Read(byte[] bytes, int segmentSize) =>
        NodeSlicingMarshaller.ForSotw(_interner).ContextualDeserializer(new Payload(Segments.Of(bytes, segmentSize)));

    public static TheoryData<int> SegmentSizes() => new() { 1, 3, 7, 64, 4096 };

    [Theory]
    [MemberData(nameof(SegmentSizes))]
    public void A_Segmented_Request_Reads_As_One_Array_Does_With_The_Same_Node(int segmentSize)
    {
        var bytes = Ack(LargeNode("mesh/demo/virtualNode/web")).ToByteArray();
        var whole = Read(bytes, bytes.Length);

        var segmented = Read(bytes, segmentSize);

        Assert.Equal(whole, segmented);
        Assert.Same(whole.Node, segmented.Node);
        Assert.Empty(segmented.Node.Extensions);
        Assert.Equal(1, _interner.Parsed);
    }

    [Theory]
    [MemberData(nameof(SegmentSizes))]
    public void A_Segmented_Delta_Request_Keeps_Every_Field_Around_The_Node(int segmentSize)
    {
        var request = new DeltaDiscoveryRequest
        {
            Node = LargeNode("mesh/demo/virtualNode/web"),
            TypeUrl = TypeUrls.Cluster,
            ResourceNamesSubscribe = { "x" },
            ResourceNamesUnsubscribe = { "y" },
            InitialResourceVersions = { ["x"] = "1" },
            ResponseNonce = "3",
        };

        var parsed = NodeSlicingMarshaller.ForDelta(_interner).ContextualDeserializer(new Payload(Segments.Of(request.ToByteArray(), segmentSize)));

        var expected = request.Clone();
        expected.Node.Extensions.Clear();
        Assert.Equal(expected, parsed);
    }

    [Theory]
    [MemberData(nameof(SegmentSizes))]
    public void Fields_Before_And_After_The_Node_Are_Kept_Wherever_The_Node_Lies(int segmentSize)
    {
        var node = LargeNode("mesh/demo/virtualNode/web");
        var withoutNode = Ack(null);
        var nodeField = Tag(DiscoveryRequest.NodeFieldNumber, 2).Concat(Varint((ulong)node.CalculateSize())).Concat(node.ToByteArray()).ToArray();
        var rest = withoutNode.ToByteArray();
        var expected = Ack(node.Clone());
        expected.Node.Extensions.Clear();

        // first (as in delta), last (as the fleet writes it), and after version_info (as in field order: "v1" is 4 bytes)
        foreach (var bytes in new[] { nodeField.Concat(rest).ToArray(), rest.Concat(nodeField).ToArray(), rest[..4].Concat(nodeField).Concat(rest[4..]).ToArray() })
        {
            var read = Read(bytes, segmentSize);

            Assert.Equal(expected, read);
        }

        Assert.Equal(1, _interner.Parsed);
    }

    [Fact]
    public void An_Ack_Whose_Node_Differs_From_The_Streams_Gets_Another_Instance()
    {
        var held = Read(Ack(LargeNode("mesh/demo/virtualNode/web")).ToByteArray(), 4096).Node;

        var same = Read(Ack(LargeNode("mesh/demo/virtualNode/web")).ToByteArray(), 4096).Node;
        var moved = Read(Ack(LargeNode("mesh/demo/virtualNode/web", zone: "us-west-2b")).ToByteArray(), 4096).Node;

        Assert.Same(held, same);
        Assert.NotSame(held, moved);
        Assert.Equal("us-west-2b", moved.Locality.Zone);
        Assert.Equal(2, _interner.Parsed);
    }

    [Fact]
    public void A_Segmented_Request_Without_A_Node_Reads_As_The_Parser_Does()
    {
        var request = Ack(null);
        request.ResourceNames.Add(Enumerable.Range(0, 2000).Select(i => $"route-{i}"));

        Assert.Equal(request, Read(request.ToByteArray(), 4096));
        Assert.Equal(0, _interner.Count);
    }

    public static TheoryData<byte[], int> Malformed()
    {
        var good = Ack(LargeNode("mesh/demo/virtualNode/web")).ToByteArray();

        // A node whose own length is right but whose last field claims more bytes than the node holds.
        var inner = LargeNode("mesh/demo/virtualNode/web").ToByteArray().Concat(new byte[] { (1 << 3) | 2, 0x7F, 0x41 }).ToArray();
        var badInsideNode = new DiscoveryRequest { TypeUrl = TypeUrls.Route }.ToByteArray()
            .Concat(Tag(DiscoveryRequest.NodeFieldNumber, 2)).Concat(Varint((ulong)inner.Length)).Concat(inner).ToArray();

        var twoNodes = good.Concat(Tag(DiscoveryRequest.NodeFieldNumber, 2)).Concat(Varint(2)).Concat(new byte[] { (1 << 3) | 2, 0 }).ToArray();
        var data = new TheoryData<byte[], int>();
        foreach (var size in new[] { 1, 5, 4096 })
        {
            data.Add(good[..(good.Length / 2)], size); // cut inside the node
            data.Add(good[..^1], size); // cut in the last field
            data.Add(badInsideNode, size);
            data.Add(twoNodes, size); // protobuf merges a repeated message field: the parser's case, not an error
            data.Add(good.Concat(new byte[] { 0xFF, 0xFF, 0xFF }).ToArray(), size);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Odd_Segmented_Bytes_Are_Read_As_The_Generated_Parser_Reads_Them_Or_Fail_With_Invalid_Argument(byte[] bytes, int segmentSize)
    {
        try
        {
            DiscoveryRequest.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            var failed = Assert.Throws<RpcException>(() => Read(bytes, segmentSize));
            Assert.Equal(StatusCode.InvalidArgument, failed.StatusCode);
            return;
        }

        // Read as one array reads it (a node given twice is the parser's, extensions and all).
        Assert.Equal(Read(bytes, bytes.Length), Read(bytes, segmentSize));
    }

    private static byte[] Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    private static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);

        return [.. bytes];
    }

    private sealed class Payload(ReadOnlySequence<byte> payload) : DeserializationContext
    {
        public override int PayloadLength => (int)payload.Length;

        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => payload;

        public override byte[] PayloadAsNewBuffer() => payload.ToArray();
    }

    /// <summary>Bytes as a sequence of segments of one size (the last one shorter).</summary>
    private sealed class Segments : ReadOnlySequenceSegment<byte>
    {
        private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public static ReadOnlySequence<byte> Of(byte[] bytes, int size)
        {
            Segments? first = null, last = null;
            for (var offset = 0; offset < bytes.Length; offset += size)
            {
                var next = new Segments(bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset)), offset);
                if (last is null)
                {
                    first = next;
                }
                else
                {
                    last.Next = next;
                }

                last = next;
            }

            return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
        }
    }
}
