using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// State-of-the-world responses whose version, resources and type many streams send alike: a snapshot's shared
/// lists (its wildcard list, a named selection; <see cref="Snapshots.ResourceSet.SharedVersionOf"/>) go to every
/// stream of the identity that subscribes alike. Their encoding without the nonce (the body) is made once per list,
/// and the response marshaller of the SotW methods writes a stream's response as that body followed by the stream's
/// own nonce field, instead of serialising the resources again for every stream. The generated code writes the fields
/// in number order (version_info 1, resources 2, type_url 4, nonce 5; the others are unset in these responses), so
/// the bytes are exactly what it would have written. A response not registered here is serialised as usual, and a
/// writer without a marshaller (in process) gets the same complete message as before.
/// </summary>
internal static class SharedSotwResponses
{
    /// <summary>
    /// A shared list's body, held weakly: it is wanted while the identity's streams write it (at a change, within a
    /// second or two) and would otherwise keep a second copy of the identity's resources for the life of the snapshot.
    /// One collected between two streams is encoded again.
    /// </summary>
    private sealed class Body(string typeUrl, string version)
    {
        public string TypeUrl { get; } = typeUrl;

        public string Version { get; } = version;

        public WeakReference<byte[]>? Bytes { get; set; }
    }

    private static readonly ConditionalWeakTable<IReadOnlyList<XdsResource>, Body> Bodies = new();

    // The responses being written with a shared body, by reference (a message's own GetHashCode hashes its content).
    private static readonly ConcurrentDictionary<DiscoveryResponse, byte[]> Writing = new(ReferenceEqualityComparer.Instance);

    private const byte NonceTag = (5 << 3) | 2; // field 5, length-delimited

    /// <summary>The encoding of a response carrying <paramref name="resources"/> (a list a snapshot shares) without its nonce.</summary>
    public static byte[] BodyOf(string typeUrl, string version, IReadOnlyList<XdsResource> resources)
    {
        var body = Bodies.GetValue(resources, _ => new Body(typeUrl, version));
        if (body.TypeUrl != typeUrl || body.Version != version)
        {
            return Encode(typeUrl, version, resources); // the same list under another type or version (an empty one): not shared
        }

        lock (body)
        {
            if (body.Bytes?.TryGetTarget(out var bytes) == true)
            {
                return bytes;
            }

            bytes = Encode(typeUrl, version, resources);
            body.Bytes = new WeakReference<byte[]>(bytes);
            return bytes;
        }
    }

    private static byte[] Encode(string typeUrl, string version, IReadOnlyList<XdsResource> resources)
    {
        var response = new DiscoveryResponse { VersionInfo = version, TypeUrl = typeUrl };
        for (var i = 0; i < resources.Count; i++)
        {
            response.Resources.Add(resources[i].Packed);
        }

        return response.ToByteArray();
    }

    /// <summary>Writes <paramref name="response"/> (complete, nonce included) as <paramref name="body"/> and its nonce.</summary>
    public static async Task WriteAsync(IServerStreamWriter<DiscoveryResponse> writer, DiscoveryResponse response, byte[] body, CancellationToken cancellationToken)
    {
        Writing[response] = body;
        try
        {
            await writer.WriteAsync(response, cancellationToken);
        }
        finally
        {
            Writing.TryRemove(response, out _);
        }
    }

    /// <summary>The generated marshaller, but writing a registered response as its shared body and its own nonce.</summary>
    public static Marshaller<DiscoveryResponse> Marshaller(Marshaller<DiscoveryResponse> generated)
    {
        var serialize = generated.ContextualSerializer;
        return new Marshaller<DiscoveryResponse>(
            (response, context) =>
            {
                if (Writing.TryGetValue(response, out var body))
                {
                    WriteBodyAndNonce(body, response.Nonce, context);
                }
                else
                {
                    serialize(response, context);
                }
            },
            generated.ContextualDeserializer);
    }

    /// <summary>The body, then field 5 as the generated code writes it (nothing for an empty nonce).</summary>
    internal static void WriteBodyAndNonce(byte[] body, string nonce, SerializationContext context)
    {
        var nonceLength = Encoding.UTF8.GetByteCount(nonce);
        var tailLength = nonceLength == 0 ? 0 : 1 + CodedOutputStream.ComputeLengthSize(nonceLength) + nonceLength;
        context.SetPayloadLength(body.Length + tailLength);
        var output = context.GetBufferWriter();
        output.Write(body);
        if (tailLength > 0)
        {
            var tail = output.GetSpan(tailLength);
            tail[0] = NonceTag;
            var at = 1;
            for (var length = (uint)nonceLength; ; length >>= 7)
            {
                if (length < 0x80)
                {
                    tail[at++] = (byte)length;
                    break;
                }

                tail[at++] = (byte)(length | 0x80);
            }

            at += Encoding.UTF8.GetBytes(nonce, tail[at..]);
            output.Advance(at);
        }

        context.Complete();
    }
}
