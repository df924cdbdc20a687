using System.Buffers;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// Reads a <c>DiscoveryRequest</c> or <c>DeltaDiscoveryRequest</c> from the wire with its <c>node</c> field sliced
/// out of the bytes and given to the <see cref="NodeInterner"/>: the rest of the request (a few hundred bytes) is
/// parsed, and the node (tens of KB) only when its content is new. Requests with no node, or anything the slicer
/// does not recognise, are parsed the usual way, so malformed input fails exactly as with the generated marshaller.
/// </summary>
public static class NodeSlicingMarshaller
{
    public static Marshaller<DiscoveryRequest> ForSotw(NodeInterner interner, Action? malformed = null) =>
        Create(interner, DiscoveryRequest.Parser, DiscoveryRequest.NodeFieldNumber, (r, n) => r.Node = n, malformed, static () => new DiscoveryRequest());

    public static Marshaller<DeltaDiscoveryRequest> ForDelta(NodeInterner interner, Action? malformed = null) =>
        Create(interner, DeltaDiscoveryRequest.Parser, DeltaDiscoveryRequest.NodeFieldNumber, (r, n) => r.Node = n, malformed, static () => new DeltaDiscoveryRequest());

    /// <summary>
    /// A request that does not decode ends the call with INVALID_ARGUMENT saying why (rather than gRPC's UNKNOWN
    /// for an exception in the handler), and <paramref name="malformed"/> counts it.
    /// </summary>
    private static Marshaller<T> Create<T>(NodeInterner interner, MessageParser<T> parser, int nodeField, Action<T, Node> setNode, Action? malformed, Func<T> create)
        where T : IMessage<T>, new() =>
        new(
            (message, context) =>
            {
                context.SetPayloadLength(message.CalculateSize());
                message.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            context =>
            {
                try
                {
                    return Read(context.PayloadAsReadOnlySequence(), interner, parser, nodeField, setNode, create);
                }
                catch (InvalidProtocolBufferException e)
                {
                    malformed?.Invoke();
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"the request is not a valid {typeof(T).Name}: {e.Message}"));
                }
            });

    private static T Read<T>(ReadOnlySequence<byte> payload, NodeInterner interner, MessageParser<T> parser, int nodeField, Action<T, Node> setNode, Func<T> create)
        where T : IMessage<T>, new() =>
        payload.IsSingleSegment
            ? Parse(payload.FirstSpan, interner, parser, nodeField, setNode, create)
            : ParseSegmented(payload, interner, parser, nodeField, setNode, create);

    /// <summary>
    /// <see cref="Parse{T}"/> for a request in several segments, read where it lies: the fields are walked across the
    /// segments, the node's kept fields (a few hundred bytes) are copied out for the interner, and the rest of the
    /// request is merged from its two slices. Copying the whole ~49 KB request into one array first was half of the
    /// marshaller's cost per ACK with the node on every request (docs/benchmarks.md, issue13ae and issue13ah).
    /// </summary>
    internal static T ParseSegmented<T>(ReadOnlySequence<byte> payload, NodeInterner interner, MessageParser<T> parser, int nodeField, Action<T, Node> setNode, Func<T> create)
        where T : IMessage<T>, new()
    {
        long nodeStart = -1, nodeEnd = -1, nodePayload = -1;
        try
        {
            var fields = new SequenceWireFields(payload);
            while (fields.MoveNext())
            {
                if (fields.Number != nodeField)
                {
                    continue;
                }

                if (nodeStart >= 0 || fields.WireType != 2)
                {
                    return parser.ParseFrom(payload); // node twice (protobuf merges them) or not a message: the parser's case
                }

                nodeStart = fields.Start;
                nodeEnd = fields.End;
                nodePayload = fields.PayloadStart;
            }

            if (nodeStart < 0)
            {
                return parser.ParseFrom(payload);
            }

            var node = interner.Intern(payload.Slice(nodePayload, nodeEnd - nodePayload));
            var request = create();
            request.MergeFrom(payload.Slice(0, nodeStart));
            request.MergeFrom(payload.Slice(nodeEnd));
            setNode(request, node);
            return request;
        }
        catch (FormatException)
        {
            // Not a message the slicer can walk: the parser says what is wrong with it (or parses it).
            return parser.ParseFrom(payload);
        }
    }

    /// <summary>The request in <paramref name="bytes"/>, its node taken from <paramref name="interner"/>.</summary>
    /// <remarks><paramref name="create"/> makes the empty request: <c>new T()</c> in a generic method is a call to
    /// <see cref="Activator.CreateInstance{T}()"/> (0.4% of the server's samples in a steady change, issue13ae).</remarks>
    internal static T Parse<T>(ReadOnlySpan<byte> bytes, NodeInterner interner, MessageParser<T> parser, int nodeField, Action<T, Node> setNode, Func<T>? create = null)
        where T : IMessage<T>, new()
    {
        int nodeStart = -1, nodeEnd = -1;
        try
        {
            var fields = new WireFields(bytes);
            while (fields.MoveNext())
            {
                if (fields.Number != nodeField)
                {
                    continue;
                }

                if (nodeStart >= 0 || fields.WireType != 2)
                {
                    return parser.ParseFrom(bytes); // node twice (protobuf merges them) or not a message: the parser's case
                }

                nodeStart = fields.Start;
                nodeEnd = fields.End;
            }

            if (nodeStart < 0)
            {
                return parser.ParseFrom(bytes);
            }

            var nodeFields = new WireFields(bytes[nodeStart..nodeEnd]);
            nodeFields.MoveNext();
            if (nodeFields.End != nodeEnd - nodeStart)
            {
                return parser.ParseFrom(bytes);
            }

            var node = interner.Intern(nodeFields.Payload);
            var request = create is null ? new T() : create();
            request.MergeFrom(bytes[..nodeStart]);
            request.MergeFrom(bytes[nodeEnd..]);
            setNode(request, node);
            return request;
        }
        catch (FormatException)
        {
            // Not a message the slicer can walk: the parser says what is wrong with it (or parses it).
            return parser.ParseFrom(bytes);
        }
    }
}
