using System.Runtime.CompilerServices;
using Envoy.Service.Discovery.V3;
using Grpc.Core;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// Delta responses that many streams write (<see cref="DeltaChange"/>), each encoded once when it is made but its
/// nonce (<see cref="DeltaEncoding"/>); a stream writes one through its <see cref="SharedDeltaWriter"/>, whose message
/// the response marshaller of the delta methods writes as those bytes with the stream's own nonce, instead of
/// serialising the resources again for every stream. A nonce must name one response on its stream: a stream can be
/// sent one shared response twice (a name subscribed to, dropped and subscribed to again, with nothing changed in
/// between), and an ACK of a nonce written twice answered only the older of the two. What a client reads is exactly
/// what the generated marshaller would write for the response with that nonce. Any other message is serialised as
/// usual.
/// </summary>
internal static class SharedDeltaResponses
{
    // Weak on the message: the encoding goes when the last stream and the change that made it let go of it.
    private static readonly ConditionalWeakTable<DeltaDiscoveryResponse, DeltaEncoding> Encoded = new();

    // Each stream's own message for writing shared responses, one per stream for its life (weak: it goes with the stream).
    private static readonly ConditionalWeakTable<DeltaDiscoveryResponse, SharedDeltaWriter> Writers = new();

    /// <summary>Encodes <paramref name="response"/> once; it must not be changed afterwards.</summary>
    public static DeltaDiscoveryResponse Share(DeltaDiscoveryResponse response)
    {
        Encoded.AddOrUpdate(response, new DeltaEncoding(response));
        return response;
    }

    /// <summary>The encoding of a shared response; false for one a stream made for itself.</summary>
    public static bool TryGetEncoding(DeltaDiscoveryResponse response, out DeltaEncoding encoding) =>
        Encoded.TryGetValue(response, out encoding!);

    internal static void Register(DeltaDiscoveryResponse message, SharedDeltaWriter writer) => Writers.Add(message, writer);

    /// <summary>
    /// What a client reads of <paramref name="message"/> written by a delta stream, for a writer that hands on the
    /// message instead of its bytes (the warm-up's): a stream's <see cref="SharedDeltaWriter"/> message, which stands
    /// for the shared response only during its write, as that response with the stream's nonce (outside it, it throws:
    /// <see cref="SharedDeltaWriter.CurrentEncoding"/>); any other as it is.
    /// </summary>
    public static DeltaDiscoveryResponse AsWritten(DeltaDiscoveryResponse message) =>
        Writers.TryGetValue(message, out var writer)
            ? DeltaDiscoveryResponse.Parser.ParseFrom(writer.CurrentEncoding().ToByteArray(message.Nonce))
            : message;

    /// <summary>
    /// The generated marshaller, but writing a stream's <see cref="SharedDeltaWriter"/> message as the shared encoding
    /// with its nonce (outside its write, it throws rather than writing an empty response). Every delta response is
    /// looked up once in the weak table (a lock-free read, no allocation); the check adds no lookup.
    /// </summary>
    public static Marshaller<DeltaDiscoveryResponse> Marshaller(Marshaller<DeltaDiscoveryResponse> generated)
    {
        var serialize = generated.ContextualSerializer;
        return new Marshaller<DeltaDiscoveryResponse>(
            (response, context) =>
            {
                if (Writers.TryGetValue(response, out var writer))
                {
                    writer.CurrentEncoding().WriteTo(response.Nonce, context);
                }
                else
                {
                    serialize(response, context);
                }
            },
            generated.ContextualDeserializer);
    }
}

/// <summary>
/// How one delta stream writes shared responses: through a message of its own that carries only the stream's nonce,
/// which the marshaller writes as the shared encoding with that nonce. The stream's writes are one after another
/// (gRPC refuses a write while one is in progress), and a write's message is serialised before its write completes,
/// so the message and the encoding it stands for change only between this stream's writes: whenever, and on
/// whichever thread, gRPC serialises it (inside the write, or later when the write first waits for the response's
/// headers), the client reads the shared content with this stream's nonce. One small message per stream instead of
/// one per write; the shared message itself is never written, so no stream's nonce is ever set on it.
/// </summary>
internal sealed class SharedDeltaWriter
{
    private readonly DeltaDiscoveryResponse _message = new();

    public SharedDeltaWriter() => SharedDeltaResponses.Register(_message, this);

    /// <summary>The encoding the message stands for while a write is in progress; null between writes.</summary>
    private DeltaEncoding? _writing;

    /// <summary>
    /// The encoding the message stands for, when it is serialised. Between writes it stands for none, and serialised
    /// as it is it would go out as an empty response with a nonce, which the client would ACK as though it carried the
    /// change: that is a bug in whatever kept the message past its write, so it is thrown rather than sent.
    /// </summary>
    internal DeltaEncoding CurrentEncoding() =>
        _writing ?? throw new InvalidOperationException(
            "A delta stream's shared-response message was serialised outside its write: it stands for a shared response only while "
            + "SharedDeltaWriter.WriteAsync writes it, and would otherwise go out as an empty response.");

    /// <summary>Writes <paramref name="shared"/> (made by <see cref="SharedDeltaResponses.Share"/>) with <paramref name="nonce"/>.</summary>
    public async Task WriteAsync(IServerStreamWriter<DeltaDiscoveryResponse> writer, DeltaDiscoveryResponse shared, string nonce, CancellationToken cancellationToken)
    {
        if (!SharedDeltaResponses.TryGetEncoding(shared, out var encoding))
        {
            throw new ArgumentException("The response was not shared (SharedDeltaResponses.Share).", nameof(shared));
        }

        _message.Nonce = nonce;
        _writing = encoding;
        try
        {
            await writer.WriteAsync(_message, cancellationToken);
        }
        finally
        {
            _writing = null; // the encoding (tens of KB for a first response) is not kept alive by an idle stream
        }
    }
}
