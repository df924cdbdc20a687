using System.Buffers;
using System.Runtime.CompilerServices;
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
    public static Marshaller<DiscoveryRequest> ForSotw(NodeInterner interner, Action<string>? malformed = null) =>
        Create(interner, DiscoveryRequest.Parser, DiscoveryRequest.NodeFieldNumber, (r, n) => r.Node = n, malformed, static () => new DiscoveryRequest());

    public static Marshaller<DeltaDiscoveryRequest> ForDelta(NodeInterner interner, Action<string>? malformed = null) =>
        Create(interner, DeltaDiscoveryRequest.Parser, DeltaDiscoveryRequest.NodeFieldNumber, (r, n) => r.Node = n, malformed, static () => new DeltaDiscoveryRequest());

    /// <summary>
    /// A request that does not decode ends the call with INVALID_ARGUMENT saying why (rather than gRPC's UNKNOWN
    /// for an exception in the handler), and <paramref name="malformed"/> is told why (to log and count it).
    /// </summary>
    private static Marshaller<T> Create<T>(NodeInterner interner, MessageParser<T> parser, int nodeField, Action<T, Node> setNode, Action<string>? malformed, Func<T> create)
        where T : IMessage<T>, new()
    {
        // gRPC gives each call one deserialization context for all its requests, so it keys the stream's memo; the
        // entry goes with the call.
        var memos = new ConditionalWeakTable<DeserializationContext, StreamNodeMemo>();
        return new(
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
                    return Read(context.PayloadAsReadOnlySequence(), memos.GetOrCreateValue(context), interner, parser, nodeField, setNode, create);
                }
                catch (InvalidProtocolBufferException e)
                {
                    var reason = $"the request is not a valid {typeof(T).Name}: {e.Message}";
                    malformed?.Invoke(reason);
                    throw new RpcException(new Status(StatusCode.InvalidArgument, reason));
                }
            });
    }

    /// <summary>
    /// The request, its node the one the stream's last request had when the node's bytes are the same
    /// (<see cref="StreamNodeMemo"/>: compared where they lie, and only the fields around the node are read), and
    /// otherwise read in full and the node remembered.
    /// </summary>
    internal static T Read<T>(ReadOnlySequence<byte> payload, StreamNodeMemo memo, NodeInterner interner, MessageParser<T> parser, int nodeField, Action<T, Node> setNode, Func<T> create)
        where T : IMessage<T>, new()
    {
        if (!SequenceNodeField.TryLocate(payload, nodeField, out var fieldStart, out var nodeStart, out var nodeEnd))
        {
            return ReadWhole(payload, interner, parser, nodeField, setNode, create, out _, out _);
        }

        if (memo.Find(payload.Slice(nodeStart, nodeEnd - nodeStart)) is { } known)
        {
            var request = create();
            request.MergeFrom(payload.Slice(0, fieldStart));
            request.MergeFrom(payload.Slice(nodeEnd));
            setNode(request, known);
            return request;
        }

        var read = ReadWhole(payload, interner, parser, nodeField, setNode, create, out var interned, out var wire);
        memo.Remember(interned, wire);
        return read;
    }

    private static T ReadWhole<T>(ReadOnlySequence<byte> payload, NodeInterner interner, MessageParser<T> parser, int nodeField, Action<T, Node> setNode, Func<T> create, out Node? interned, out NodeWire wire)
        where T : IMessage<T>, new()
    {
        if (payload.IsSingleSegment)
        {
            return Parse(payload.FirstSpan, interner, parser, nodeField, setNode, create, out interned, out wire);
        }

        var copy = ArrayPool<byte>.Shared.Rent((int)payload.Length);
        try
        {
            payload.CopyTo(copy);
            return Parse(copy.AsSpan(0, (int)payload.Length), interner, parser, nodeField, setNode, create, out interned, out wire);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>The request in <paramref name="bytes"/>, its node taken from <paramref name="interner"/>.</summary>
    /// <remarks><paramref name="create"/> makes the empty request: <c>new T()</c> in a generic method is a call to
    /// <see cref="Activator.CreateInstance{T}()"/> (0.4% of the server's samples in a steady change, issue13ae).</remarks>
    internal static T Parse<T>(ReadOnlySpan<byte> bytes, NodeInterner interner, MessageParser<T> parser, int nodeField, Action<T, Node> setNode, Func<T>? create = null)
        where T : IMessage<T>, new() =>
        Parse(bytes, interner, parser, nodeField, setNode, create, out _, out _);

    /// <summary>
    /// As above; <paramref name="interned"/> is the node the interner gave, null when the parser read the request,
    /// and <paramref name="wire"/> where the interner holds its bytes.
    /// </summary>
    private static T Parse<T>(ReadOnlySpan<byte> bytes, NodeInterner interner, MessageParser<T> parser, int nodeField, Action<T, Node> setNode, Func<T>? create, out Node? interned, out NodeWire wire)
        where T : IMessage<T>, new()
    {
        interned = null;
        wire = default;
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

            var node = interner.Intern(nodeFields.Payload, out wire);
            var request = create is null ? new T() : create();
            request.MergeFrom(bytes[..nodeStart]);
            request.MergeFrom(bytes[nodeEnd..]);
            setNode(request, node);
            interned = node;
            return request;
        }
        catch (FormatException)
        {
            // Not a message the slicer can walk: the parser says what is wrong with it (or parses it).
            return parser.ParseFrom(bytes);
        }
    }
}
