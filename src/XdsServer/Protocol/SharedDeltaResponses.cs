using System.Runtime.CompilerServices;
using Envoy.Service.Discovery.V3;
using Grpc.Core;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// Delta responses that many streams write (<see cref="DeltaChange"/>), each encoded once when it is made but its
/// nonce (<see cref="DeltaEncoding"/>); the response marshaller of the delta methods writes those bytes with the
/// writing stream's own nonce instead of serialising the message again for every stream. A nonce must name one
/// response on its stream: a stream can be sent one shared response twice (a name subscribed to, dropped and
/// subscribed to again, with nothing changed in between), and an ACK of a nonce written twice answered only the older
/// of the two. What a client reads is exactly what the generated marshaller would write for the message with that
/// nonce. A response not made here is serialised as usual.
/// </summary>
internal static class SharedDeltaResponses
{
    // Weak on the message: the encoding goes when the last stream and the change that made it let go of it.
    private static readonly ConditionalWeakTable<DeltaDiscoveryResponse, DeltaEncoding> Encoded = new();

    // The shared response this thread is writing and the stream's nonce for it, for the marshaller, as
    // SharedSotwResponses does: gRPC serialises a message inside the stream's WriteAsync, before it returns.
    [ThreadStatic]
    private static DeltaDiscoveryResponse? writingResponse;

    [ThreadStatic]
    private static string? writingNonce;

    [ThreadStatic]
    private static bool wroteNonce;

    /// <summary>Encodes <paramref name="response"/> once; it must not be changed afterwards.</summary>
    public static DeltaDiscoveryResponse Share(DeltaDiscoveryResponse response)
    {
        Encoded.AddOrUpdate(response, new DeltaEncoding(response));
        return response;
    }

    /// <summary>The encoding of a shared response; false for one a stream made for itself.</summary>
    public static bool TryGetEncoding(DeltaDiscoveryResponse response, out DeltaEncoding encoding) =>
        Encoded.TryGetValue(response, out encoding!);

    /// <summary>
    /// Writes a shared <paramref name="response"/> with the stream's <paramref name="nonce"/> in place of its own.
    /// <paramref name="written"/> is the nonce the client is sent: the stream's, unless the message was serialised
    /// elsewhere than in this call (a writer that does not serialise at once), which writes the response's own.
    /// </summary>
    public static Task WriteAsync(IServerStreamWriter<DeltaDiscoveryResponse> writer, DeltaDiscoveryResponse response, string nonce, out string written, CancellationToken cancellationToken)
    {
        writingResponse = response;
        writingNonce = nonce;
        wroteNonce = false;
        try
        {
            return writer.WriteAsync(response, cancellationToken);
        }
        finally
        {
            written = wroteNonce ? nonce : response.Nonce;
            writingResponse = null;
            writingNonce = null;
            wroteNonce = false;
        }
    }

    /// <summary>The generated marshaller, but writing a shared response as its encoding with the writing stream's nonce.</summary>
    public static Marshaller<DeltaDiscoveryResponse> Marshaller(Marshaller<DeltaDiscoveryResponse> generated)
    {
        var serialize = generated.ContextualSerializer;
        return new Marshaller<DeltaDiscoveryResponse>(
            (response, context) =>
            {
                if (!Encoded.TryGetValue(response, out var encoding))
                {
                    serialize(response, context);
                }
                else if (ReferenceEquals(response, writingResponse) && writingNonce is { } nonce)
                {
                    wroteNonce = true;
                    encoding.WriteTo(nonce, context);
                }
                else
                {
                    encoding.WriteTo(response.Nonce, context);
                }
            },
            generated.ContextualDeserializer);
    }
}
