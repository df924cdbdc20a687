using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using System.Buffers;
using Grpc.Core;

namespace Mesh.Fleet;

/// <summary>
/// The ADS methods with request marshallers that write a proxy's node from bytes serialised once, so the server
/// receives exactly what a generated client would send (the node is a length-delimited field, and protobuf does not
/// care where in the message it comes) while the fleet does not serialise the 49 KB node again for every request.
/// <para>
/// Why: the simulated Envoys share the machine's two cores with the server. Serialising the node's 390
/// <c>extensions</c> for every request of 10,000 proxies cost the fleet about twice the server's CPU in the
/// node-on-every-request variants, so the fleet, not the server, set the pace of the connect phase. A real Envoy
/// pays that on its own CPU.
/// </para>
/// </summary>
internal static class NodeBytes
{
    private const string Service = "envoy.service.discovery.v3.AggregatedDiscoveryService";

    public static readonly Method<DiscoveryRequest, DiscoveryResponse> Sotw = new(
        MethodType.DuplexStreaming, Service, "StreamAggregatedResources",
        RequestMarshaller<DiscoveryRequest>(DiscoveryRequest.NodeFieldNumber, r => r.Node, (r, n) => r.Node = n),
        ResponseMarshaller(DiscoveryResponse.Parser));

    public static readonly Method<DeltaDiscoveryRequest, DeltaDiscoveryResponse> Delta = new(
        MethodType.DuplexStreaming, Service, "DeltaAggregatedResources",
        RequestMarshaller<DeltaDiscoveryRequest>(DeltaDiscoveryRequest.NodeFieldNumber, r => r.Node, (r, n) => r.Node = n),
        ResponseMarshaller(DeltaDiscoveryResponse.Parser));

    /// <summary>The same method with the generated marshaller: the node serialised again for every request.</summary>
    public static readonly Method<DiscoveryRequest, DiscoveryResponse> SotwGenerated = new(
        MethodType.DuplexStreaming, Service, "StreamAggregatedResources",
        Marshallers.Create(r => r.ToByteArray(), DiscoveryRequest.Parser.ParseFrom), Sotw.ResponseMarshaller);

    /// <summary>The same method with the generated marshaller: the node serialised again for every request.</summary>
    public static readonly Method<DeltaDiscoveryRequest, DeltaDiscoveryResponse> DeltaGenerated = new(
        MethodType.DuplexStreaming, Service, "DeltaAggregatedResources",
        Marshallers.Create(r => r.ToByteArray(), DeltaDiscoveryRequest.Parser.ParseFrom), Delta.ResponseMarshaller);

    // One entry per distinct node object (the fleet builds one per proxy, shared by all its requests), one table per
    // field number: the node is field 2 of a SotW request and field 1 of a delta one, so one node's bytes cached for
    // one kind of request must not be sent in the other (field 2 of a delta request is its type URL).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, System.Runtime.CompilerServices.ConditionalWeakTable<Node, byte[]>> Fields = new();

    /// <summary>The node's own bytes, as its field of every request carries them after the tag and length (<see cref="FieldOf"/>).</summary>
    internal static byte[] Serialised(Node node) => node.ToByteArray();

    /// <summary>The node as its field of a request: tag, length and the serialised node (both requests number it differently).</summary>
    internal static byte[] FieldOf(Node node, int fieldNumber) =>
        Fields.GetOrAdd(fieldNumber, _ => new()).GetValue(node, n =>
        {
            var body = Serialised(n);
            var output = new MemoryStream(body.Length + 16);
            var writer = new CodedOutputStream(output);
            writer.WriteTag(fieldNumber, WireFormat.WireType.LengthDelimited);
            writer.WriteLength(body.Length);
            writer.Flush();
            output.Write(body);
            return output.ToArray();
        });

    /// <summary>
    /// Parses a response from the received payload where it lies; the byte-array form of
    /// <see cref="Marshallers.Create{T}(Func{T, byte[]}, Func{byte[], T})"/> copies every response into a new array
    /// first (tens of KB per response at connect, each a fleet allocation on the server's cores).
    /// </summary>
    private static Marshaller<T> ResponseMarshaller<T>(MessageParser<T> parser)
        where T : IMessage<T>
        => new(
            (response, context) => context.Complete(response.ToByteArray()),
            context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    private static Marshaller<T> RequestMarshaller<T>(int nodeFieldNumber, Func<T, Node?> getNode, Action<T, Node?> setNode)
        where T : IMessage<T>
        => new(
            (request, context) =>
            {
                var node = getNode(request);
                if (node is null)
                {
                    context.Complete(request.ToByteArray());
                    return;
                }

                var nodeField = FieldOf(node, nodeFieldNumber);
                setNode(request, null);
                var rest = request.ToByteArray();
                setNode(request, node);
                context.SetPayloadLength(rest.Length + nodeField.Length);
                var writer = context.GetBufferWriter();
                writer.Write(rest);
                writer.Write(nodeField);
                context.Complete();
            },
            _ => throw new NotSupportedException("the fleet only sends requests"));
}
