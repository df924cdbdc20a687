using System.Buffers;
using Envoy.Config.Cluster.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// A SotW response of a list the snapshot shares is written as the list's one body (encoded without the nonce) and
/// the stream's own nonce (<see cref="SharedSotwResponses"/>): the bytes must be exactly the generated encoding of
/// the whole response, whatever the nonce.
/// </summary>
public sealed class SharedSotwResponsesTests
{
    private static readonly IReadOnlyList<XdsResource> Clusters =
        [XdsResource.Create(TypeUrls.Cluster, "a", new Cluster { Name = "a" }), XdsResource.Create(TypeUrls.Cluster, "b", new Cluster { Name = "b" })];

    [Theory]
    [InlineData("1")]
    [InlineData("1023")]
    [InlineData("")]
    [InlineData("a nonce longer than one hundred and twenty-seven bytes, so that its length takes two bytes of varint: 0123456789012345678901234567890123456789")]
    public async Task A_Shared_Response_Is_Written_As_The_Generated_Code_Writes_It(string nonce)
    {
        var response = Response(Clusters, "v1", nonce);
        var body = SharedSotwResponses.BodyOf(TypeUrls.Cluster, "v1", Clusters);
        var writer = new CapturingWriter(Marshaller());

        await SharedSotwResponses.WriteAsync(writer, response, body, CancellationToken.None);

        Assert.Equal(response.ToByteArray(), writer.Payload);
        Assert.Equal(response, DiscoveryResponse.Parser.ParseFrom(writer.Payload));
    }

    [Fact]
    public async Task A_Response_Not_Written_As_Shared_Is_Serialised_By_The_Generated_Marshaller()
    {
        var writer = new CapturingWriter(Marshaller());
        var response = Response(Clusters, "v1", "7");

        await writer.WriteAsync(response);

        Assert.Equal([0x2a], writer.Payload); // the stand-in for the generated serializer below
    }

    [Fact]
    public void A_List_Has_One_Body_For_Its_Type_And_Version()
    {
        IReadOnlyList<XdsResource> list = [.. Clusters];
        var body = SharedSotwResponses.BodyOf(TypeUrls.Cluster, "v1", list);

        Assert.Same(body, SharedSotwResponses.BodyOf(TypeUrls.Cluster, "v1", list));
        Assert.Equal(Response(list, "v1", "").ToByteArray(), body);

        // The same list under another version (not one a snapshot shares) is encoded for itself, not from the body.
        var other = SharedSotwResponses.BodyOf(TypeUrls.Cluster, "v2", list);
        Assert.NotSame(body, other);
        Assert.Equal(Response(list, "v2", "").ToByteArray(), other);
    }

    private static DiscoveryResponse Response(IReadOnlyList<XdsResource> resources, string version, string nonce)
    {
        var response = new DiscoveryResponse { VersionInfo = version, TypeUrl = TypeUrls.Cluster, Nonce = nonce };
        response.Resources.Add(resources.Select(r => r.Packed));
        return response;
    }

    private static Marshaller<DiscoveryResponse> Marshaller() =>
        SharedSotwResponses.Marshaller(Marshallers.Create<DiscoveryResponse>(_ => [0x2a], DiscoveryResponse.Parser.ParseFrom));

    /// <summary>A response stream that serialises each message with the marshaller, as gRPC does, and keeps the last payload.</summary>
    private sealed class CapturingWriter(Marshaller<DiscoveryResponse> marshaller) : IServerStreamWriter<DiscoveryResponse>
    {
        public byte[] Payload { get; private set; } = [];

        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(DiscoveryResponse message)
        {
            var context = new CapturingContext();
            marshaller.ContextualSerializer(message, context);
            Payload = context.Payload;
            return Task.CompletedTask;
        }
    }

    private sealed class CapturingContext : SerializationContext
    {
        private readonly ArrayBufferWriter<byte> _buffer = new();
        private int? _length;
        private byte[]? _payload;

        public byte[] Payload => _payload ?? throw new InvalidOperationException("not completed");

        public override void SetPayloadLength(int payloadLength) => _length = payloadLength;

        public override IBufferWriter<byte> GetBufferWriter() => _buffer;

        public override void Complete(byte[] payload) => _payload = payload;

        public override void Complete()
        {
            Assert.Equal(_length, _buffer.WrittenCount); // the length given first is the length written
            _payload = _buffer.WrittenSpan.ToArray();
        }
    }
}
