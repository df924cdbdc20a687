using System.Buffers;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// A stream's requests read through one deserialization context (as gRPC reads a call's): a node whose bytes are
/// the same as the stream's last request's is given the node the stream holds without the interner, every other
/// field read as the parser reads it; a node that differs anywhere, on any stream's first request, is read in full.
/// The memo holds no copy of its own: it compares the request's node with the interner's bytes of the node less its
/// extensions and one copy of the extensions shared by every stream that sent them; it answers from a stream's second
/// request on.
/// </summary>
public sealed class StreamNodeMemoTests
{
    private readonly NodeInterner _interner = new();
    private readonly Marshaller<DiscoveryRequest> _sotw;

    public StreamNodeMemoTests() => _sotw = NodeSlicingMarshaller.ForSotw(_interner);

    private static Node LargeNode(string zone = "us-west-2a", string id = "mesh/demo/virtualNode/web")
    {
        var node = new Node { Id = id, Cluster = "web", Locality = new Locality { Zone = zone } };
        for (var i = 0; i < 300; i++)
        {
            node.Extensions.Add(new Envoy.Config.Core.V3.Extension { Name = $"envoy.filters.http.f{i}", Category = "envoy.filters.http", TypeUrls = { $"envoy.extensions.filters.http.f{i}.v3.F{i}" } });
        }

        return node;
    }

    private static DiscoveryRequest Ack(Node? node, string version, string nonce, params string[] names)
    {
        var request = new DiscoveryRequest { VersionInfo = version, Node = node, TypeUrl = TypeUrls.Route, ResponseNonce = nonce };
        request.ResourceNames.Add(names);
        return request;
    }

    private static DiscoveryRequest WithoutExtensions(DiscoveryRequest request)
    {
        var expected = request.Clone();
        expected.Node?.Extensions.Clear();
        return expected;
    }

    [Fact]
    public void The_Same_Node_Again_On_A_Stream_Is_The_Held_Node_And_The_Other_Fields_Are_Read()
    {
        var stream = new Stream();
        var first = stream.Read(_sotw, Ack(LargeNode(), "", ""), 4096);
        stream.Read(_sotw, Ack(LargeNode(), "v1", "1"), 4096);
        var reusedAfterFirst = _interner.Reused;

        var later = Ack(LargeNode(), "v7", "3", "route-b", "route-a");
        var read = stream.Read(_sotw, later, 4096);

        Assert.Equal(WithoutExtensions(later), read);
        Assert.Same(first.Node, read.Node);
        Assert.Equal(reusedAfterFirst, _interner.Reused); // not looked up: the memo answered
        Assert.Equal(1, _interner.Parsed);
    }

    [Fact]
    public void The_Same_Bytes_In_Other_Blocks_Are_The_Same_Node()
    {
        var stream = new Stream();
        var first = stream.Read(_sotw, Ack(LargeNode(), "", ""), 4096);
        stream.Read(_sotw, Ack(LargeNode(), "v0", "0"), 4096);
        var reused = _interner.Reused;

        foreach (var size in new[] { 1, 7, 1000, int.MaxValue })
        {
            Assert.Same(first.Node, stream.Read(_sotw, Ack(LargeNode(), "v1", "1"), size).Node);
        }

        Assert.Equal(reused, _interner.Reused);
    }

    [Fact]
    public void A_Node_That_Differs_In_One_Byte_Is_Read_Anew_And_Then_Remembered()
    {
        var stream = new Stream();
        var a = stream.Read(_sotw, Ack(LargeNode("us-west-2a"), "", ""), 4096).Node;

        var b = stream.Read(_sotw, Ack(LargeNode("us-west-2b"), "v1", "1"), 4096).Node; // same length, one byte apart
        var bAgain = stream.Read(_sotw, Ack(LargeNode("us-west-2b"), "v2", "2"), 4096).Node;
        var aAgain = stream.Read(_sotw, Ack(LargeNode("us-west-2a"), "v3", "3"), 4096).Node;

        Assert.NotSame(a, b);
        Assert.Equal("us-west-2b", b.Locality.Zone);
        Assert.Same(b, bAgain);
        Assert.Same(a, aAgain); // read in full again, and the interner still has it
        Assert.Equal(2, _interner.Parsed);
    }

    [Fact]
    public void A_Changed_Node_Id_Is_Read_In_Full_So_The_Stream_Can_Refuse_It()
    {
        var stream = new Stream();
        stream.Read(_sotw, Ack(LargeNode(id: "mesh/demo/virtualNode/web"), "", ""), 4096);

        var other = stream.Read(_sotw, Ack(LargeNode(id: "mesh/demo/virtualNode/api"), "v1", "1"), 4096);

        Assert.Equal("mesh/demo/virtualNode/api", other.Node.Id);
    }

    [Fact]
    public void Each_Stream_Reads_Its_First_Node_In_Full()
    {
        var first = new Stream();
        var second = new Stream();
        var held = first.Read(_sotw, Ack(LargeNode(), "", ""), 4096).Node;
        var reused = _interner.Reused;

        var secondsFirst = second.Read(_sotw, Ack(LargeNode(), "", ""), 4096).Node;

        Assert.Same(held, secondsFirst); // the interner's instance, found by the interner
        Assert.Equal(reused + 1, _interner.Reused);
    }

    [Fact]
    public void The_Second_Request_With_The_Same_Node_Is_Answered_By_The_Memo()
    {
        var stream = new Stream();
        var first = stream.Read(_sotw, Ack(LargeNode(), "", ""), 4096).Node;
        var reused = _interner.Reused;

        var second = stream.Read(_sotw, Ack(LargeNode(), "v1", "1"), 4096).Node;

        Assert.Same(first, second);
        Assert.Equal(reused, _interner.Reused); // not read in full: the interner was not asked
        Assert.Equal(1, _interner.Parsed);
    }

    [Fact]
    public void A_Node_That_Differs_Only_In_An_Extension_Is_Read_In_Full_And_Then_Remembered()
    {
        var stream = new Stream();
        var other = LargeNode();
        other.Extensions[150].Name = other.Extensions[150].Name.Replace('f', 'g'); // the same length, one byte apart
        var first = stream.Read(_sotw, Ack(LargeNode(), "", ""), 4096).Node;
        var reused = _interner.Reused;

        var changed = stream.Read(_sotw, Ack(other, "v1", "1"), 4096).Node;
        Assert.Equal(reused + 1, _interner.Reused); // compared, found different, read in full
        var again = stream.Read(_sotw, Ack(other, "v2", "2"), 4096).Node;

        Assert.Same(first, changed); // the interner keeps nodes without their extensions
        Assert.Same(first, again);
        Assert.Equal(reused + 1, _interner.Reused); // the memo answered for the changed bytes
        Assert.Equal(2, _interner.ExtensionCopies);
    }

    [Fact]
    public void Streams_With_The_Same_Extensions_Share_One_Copy_Of_Them()
    {
        // The streams stay open to the end, as connected proxies' do: the shared copy lives only as long as a
        // stream's memo holds it, so a collection between streams that had ended would rightly let it go.
        var open = new List<Stream>();
        foreach (var id in new[] { "mesh/demo/virtualNode/web", "mesh/demo/virtualNode/api", "mesh/demo/virtualNode/db" })
        {
            var stream = new Stream();
            open.Add(stream);
            var first = stream.Read(_sotw, Ack(LargeNode(id: id), "", ""), 4096).Node;
            Assert.Same(first, stream.Read(_sotw, Ack(LargeNode(id: id), "v1", "1"), 4096).Node);
        }

        Assert.Equal(3, _interner.Parsed);
        Assert.Equal(1, _interner.ExtensionCopies);
        GC.KeepAlive(open);
    }

    [Fact]
    public void A_Node_Whose_Extensions_Are_Not_One_Run_Is_Read_In_Full_Each_Time()
    {
        // the extensions, then the node's id again (a later field of the same number replaces it), then more
        // extensions: the interner keeps the fields but the extensions, and a stream cannot compare such a node
        var split = LargeNode().ToByteArray()
            .Concat(new Node { Id = "mesh/demo/virtualNode/web" }.ToByteArray())
            .Concat(new Node { Extensions = { new Envoy.Config.Core.V3.Extension { Name = "envoy.late" } } }.ToByteArray())
            .ToArray();
        byte[] Request(string nonce) => new DiscoveryRequest { TypeUrl = TypeUrls.Route, ResponseNonce = nonce }.ToByteArray()
            .Concat(new byte[] { (DiscoveryRequest.NodeFieldNumber << 3) | 2 }).Concat(Varint(split.Length)).Concat(split).ToArray();
        var stream = new Stream();
        var first = stream.Read(_sotw, Request(""), 4096).Node;
        var reused = _interner.Reused;

        var second = stream.Read(_sotw, Request("1"), 4096).Node;

        Assert.Same(first, second);
        Assert.Equal(reused + 1, _interner.Reused); // read in full, found by the interner
        Assert.Equal(0, _interner.ExtensionCopies);
    }

    private static byte[] Varint(int value)
    {
        var bytes = new List<byte>();
        for (; value >= 0x80; value >>= 7)
        {
            bytes.Add((byte)(value | 0x80));
        }

        bytes.Add((byte)value);
        return [.. bytes];
    }

    [Fact]
    public void A_Request_Without_A_Node_Leaves_The_Memo_As_It_Was()
    {
        var stream = new Stream();
        stream.Read(_sotw, Ack(LargeNode(), "", ""), 4096);
        var held = stream.Read(_sotw, Ack(LargeNode(), "v0", "0"), 4096).Node;
        var reused = _interner.Reused;

        var bare = stream.Read(_sotw, Ack(null, "v1", "1", "a"), 4096);
        var again = stream.Read(_sotw, Ack(LargeNode(), "v2", "2"), 4096);

        Assert.Null(bare.Node);
        Assert.Equal(Ack(null, "v1", "1", "a"), bare);
        Assert.Same(held, again.Node);
        Assert.Equal(reused, _interner.Reused);
    }

    [Fact]
    public void A_Delta_Stream_Remembers_Its_Node_Too()
    {
        var delta = NodeSlicingMarshaller.ForDelta(_interner);
        var stream = new Stream();
        DeltaDiscoveryRequest Request(string nonce) => new()
        {
            Node = LargeNode(),
            TypeUrl = TypeUrls.Cluster,
            ResourceNamesSubscribe = { "x" },
            InitialResourceVersions = { ["x"] = "1" },
            ResponseNonce = nonce,
        };

        var first = stream.Read(delta, Request(""), 4096);
        stream.Read(delta, Request("4"), 4096);
        var reused = _interner.Reused;
        var second = stream.Read(delta, Request("5"), 4096);

        var expected = Request("5");
        expected.Node.Extensions.Clear();
        Assert.Equal(expected, second);
        Assert.Same(first.Node, second.Node);
        Assert.Equal(reused, _interner.Reused);
    }

    [Fact]
    public void A_Malformed_Tail_After_A_Remembered_Node_Fails_With_Invalid_Argument()
    {
        var stream = new Stream();
        stream.Read(_sotw, Ack(LargeNode(), "", ""), 4096);
        stream.Read(_sotw, Ack(LargeNode(), "v0", "0"), 4096);

        // the same node, then an error_detail whose two bytes are a truncated tag: well-formed around the node, so
        // the node is the remembered one and only the merge of the tail finds the fault, as the parser does
        var bytes = Ack(LargeNode(), "v1", "1").ToByteArray().Concat(new byte[] { (6 << 3) | 2, 2, 0xFF, 0xFF }).ToArray();
        Assert.Throws<InvalidProtocolBufferException>(() => DiscoveryRequest.Parser.ParseFrom(bytes));
        var failed = Assert.Throws<RpcException>(() => stream.Read(_sotw, bytes, 4096));

        Assert.Equal(StatusCode.InvalidArgument, failed.StatusCode);
    }

    [Fact]
    public void A_Node_Given_Twice_Is_Read_By_The_Parser_As_It_Merges_Them()
    {
        var stream = new Stream();
        stream.Read(_sotw, Ack(LargeNode(), "", ""), 4096);
        var second = new Node { Cluster = "other" };
        var bytes = Ack(LargeNode(), "v1", "1").ToByteArray()
            .Concat(new DiscoveryRequest { Node = second }.ToByteArray()).ToArray();

        var read = stream.Read(_sotw, bytes, 4096);

        Assert.Equal(DiscoveryRequest.Parser.ParseFrom(bytes), read);
        Assert.Equal("other", read.Node.Cluster);
    }

    /// <summary>One call's deserialization context: gRPC keeps one per call and gives it each request in turn.</summary>
    private sealed class Stream : DeserializationContext
    {
        private ReadOnlySequence<byte> _payload;

        public T Read<T>(Marshaller<T> marshaller, IMessage request, int segmentSize) => Read(marshaller, request.ToByteArray(), segmentSize);

        public T Read<T>(Marshaller<T> marshaller, byte[] bytes, int segmentSize)
        {
            _payload = Segment.Of(bytes, segmentSize);
            return marshaller.ContextualDeserializer(this);
        }

        public override int PayloadLength => (int)_payload.Length;

        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => _payload;

        public override byte[] PayloadAsNewBuffer() => _payload.ToArray();
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        private Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public static ReadOnlySequence<byte> Of(byte[] bytes, int size)
        {
            Segment? first = null, last = null;
            for (var offset = 0; offset < bytes.Length; offset += Math.Min(size, bytes.Length - offset))
            {
                var next = new Segment(bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset)), offset);
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
