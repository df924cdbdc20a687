using System.Runtime.CompilerServices;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// Delta responses that many streams write as they are (<see cref="DeltaChange"/>), each encoded once when it is
/// made; the response marshaller of the delta methods writes those bytes instead of serialising the message again
/// for every stream. The bytes are the message's own protobuf encoding, nonce included (the nonce is shared too),
/// so what a client reads is exactly what the generated marshaller would have written. A response not made here
/// is serialised as usual.
/// </summary>
internal static class SharedDeltaResponses
{
    // Weak on the message: the encoding goes when the last stream and the change that made it let go of it.
    private static readonly ConditionalWeakTable<DeltaDiscoveryResponse, byte[]> Encoded = new();

    /// <summary>Encodes <paramref name="response"/> once; it must not be changed afterwards.</summary>
    public static DeltaDiscoveryResponse Share(DeltaDiscoveryResponse response)
    {
        Encoded.AddOrUpdate(response, response.ToByteArray());
        return response;
    }

    /// <summary>The bytes of a shared response; false for one a stream made for itself.</summary>
    public static bool TryGetEncoded(DeltaDiscoveryResponse response, out byte[] bytes) =>
        Encoded.TryGetValue(response, out bytes!);

    /// <summary>The generated marshaller, but writing a shared response's bytes as they are.</summary>
    public static Marshaller<DeltaDiscoveryResponse> Marshaller(Marshaller<DeltaDiscoveryResponse> generated)
    {
        var serialize = generated.ContextualSerializer;
        return new Marshaller<DeltaDiscoveryResponse>(
            (response, context) =>
            {
                if (Encoded.TryGetValue(response, out var bytes))
                {
                    context.Complete(bytes);
                }
                else
                {
                    serialize(response, context);
                }
            },
            generated.ContextualDeserializer);
    }
}
