using System.Buffers;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;

namespace Mesh.Fleet.Tests;

/// <summary>
/// The fleet writes each proxy's node from bytes serialised once (<see cref="NodeBytes"/>): the request the server
/// reads must be the request a generated client would have sent, node included, for SotW and delta.
/// </summary>
public class NodeBytesTests
{
    private static readonly Node Node = RealisticNode.Build("mesh/fleet/virtualNode/client-0", "client-0");

    [Fact]
    public void SotwRequestWithNodeParsesAsTheSameRequest()
    {
        var request = new DiscoveryRequest
        {
            Node = Node,
            TypeUrl = TypeUrls.Route,
            VersionInfo = "v7",
            ResponseNonce = "n3",
            ResourceNames = { "route-a", "route-b" },
        };
        var expected = request.Clone();

        var sent = Serialise(NodeBytes.Sotw.RequestMarshaller, request);

        Assert.Equal(expected, DiscoveryRequest.Parser.ParseFrom(sent));
        Assert.Equal(expected.ToByteArray().Length, sent.Length);
        Assert.Same(Node, request.Node);
    }

    [Fact]
    public void DeltaRequestWithNodeParsesAsTheSameRequest()
    {
        var request = new DeltaDiscoveryRequest
        {
            Node = Node,
            TypeUrl = TypeUrls.Listener,
            ResponseNonce = "n1",
            ResourceNamesSubscribe = { "a" },
            InitialResourceVersions = { ["a"] = "1" },
        };
        var expected = request.Clone();

        var sent = Serialise(NodeBytes.Delta.RequestMarshaller, request);

        Assert.Equal(expected, DeltaDiscoveryRequest.Parser.ParseFrom(sent));
        Assert.Same(Node, request.Node);
    }

    [Fact]
    public void OneNodeSentInBothKindsOfRequestKeepsEachItsOwnFieldNumber()
    {
        var node = RealisticNode.Build("mesh/fleet/virtualNode/client-1", "client-1");
        var sotw = Serialise(NodeBytes.Sotw.RequestMarshaller, new DiscoveryRequest { Node = node, TypeUrl = TypeUrls.Cluster });
        var delta = Serialise(NodeBytes.Delta.RequestMarshaller, new DeltaDiscoveryRequest { Node = node, TypeUrl = TypeUrls.Cluster });

        Assert.Equal(node, DiscoveryRequest.Parser.ParseFrom(sotw).Node);
        var parsedDelta = DeltaDiscoveryRequest.Parser.ParseFrom(delta);
        Assert.Equal(node, parsedDelta.Node);
        Assert.Equal(TypeUrls.Cluster, parsedDelta.TypeUrl);
    }

    [Fact]
    public void RequestWithoutNodeIsSentAsItIs()
    {
        var request = new DiscoveryRequest { TypeUrl = TypeUrls.Listener, VersionInfo = "v1", ResponseNonce = "n" };

        var sent = Serialise(NodeBytes.Sotw.RequestMarshaller, request);

        Assert.Equal(request.ToByteArray(), sent);
        Assert.Null(DiscoveryRequest.Parser.ParseFrom(sent).Node);
    }

    private static byte[] Serialise<T>(Marshaller<T> marshaller, T message)
    {
        var context = new BufferContext();
        marshaller.ContextualSerializer(message, context);
        return context.Written();
    }

    /// <summary>What gRPC hands a marshaller: either a whole payload, or a declared length and a buffer writer.</summary>
    private sealed class BufferContext : SerializationContext
    {
        private readonly ArrayBufferWriter<byte> _buffer = new();
        private byte[]? _payload;
        private int? _declaredLength;
        private bool _completed;

        public override void Complete(byte[] payload)
        {
            _payload = payload;
            _completed = true;
        }

        public override void SetPayloadLength(int payloadLength) => _declaredLength = payloadLength;

        public override IBufferWriter<byte> GetBufferWriter() => _buffer;

        public override void Complete() => _completed = true;

        public byte[] Written()
        {
            Assert.True(_completed, "the marshaller did not complete the payload");
            if (_payload is not null)
            {
                return _payload;
            }

            Assert.Equal(_declaredLength, _buffer.WrittenCount);
            return _buffer.WrittenSpan.ToArray();
        }
    }
}
