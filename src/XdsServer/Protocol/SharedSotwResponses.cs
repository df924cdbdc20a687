using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// State-of-the-world responses whose resources are a list the snapshot shares (its wildcard list or a named
/// selection, <see cref="Snapshots.ResourceSet.SharedVersionOf"/>): every stream of the identity that sends the list
/// sends the same version, type URL and resources, and only the nonce differs. So the rest is encoded once
/// (<see cref="SotwEncoding"/>) and the response marshaller of the SotW methods writes those bytes followed by the
/// stream's nonce, instead of serialising the whole message again for every stream. A response not written through
/// <see cref="WriteAsync"/> is serialised as usual.
/// </summary>
internal static class SharedSotwResponses
{
    // Keyed on the shared list, so an entry goes with the snapshot that made the list; the encoding itself is held
    // weakly (tens of KB per identity and type), so it does not live as long as the snapshot: the streams that sent
    // it keep it until their client answers (SotwTypeState.SentEncoding), which covers a push to the identity's streams.
    private static readonly ConditionalWeakTable<IReadOnlyList<XdsResource>, WeakReference<SotwEncoding>> ByList = new();

    // The response this thread is writing with a shared encoding, for the marshaller. gRPC serialises a message
    // inside the stream's WriteAsync, before it returns (the write then waits for the flush), so the marshaller runs on
    // this thread while these are set; it checks the message is this one by reference, and anything else (a writer
    // that serialises later or elsewhere) is serialised as usual. Nothing allocated or locked per write.
    [ThreadStatic]
    private static DiscoveryResponse? writingResponse;

    [ThreadStatic]
    private static SotwEncoding? writingEncoding;

    /// <summary>The encoding of <paramref name="resources"/> (a list the snapshot shares) at <paramref name="version"/>, made once.</summary>
    public static SotwEncoding EncodingOf(IReadOnlyList<XdsResource> resources, string version, string typeUrl)
    {
        var held = ByList.GetValue(resources, static _ => new WeakReference<SotwEncoding>(null!));
        if (held.TryGetTarget(out var encoding) && encoding.Encodes(resources, version, typeUrl))
        {
            return encoding;
        }

        // Two streams that make it at once each write their own; the last one made is kept. Only a lost chance to share.
        encoding = new SotwEncoding(resources, version, typeUrl);
        held.SetTarget(encoding);
        return encoding;
    }

    /// <summary>The encoding of that list at that version and type if one is alive, without making one.</summary>
    public static bool TryFind(IReadOnlyList<XdsResource> resources, string version, string typeUrl, out SotwEncoding encoding)
    {
        encoding = null!;
        return ByList.TryGetValue(resources, out var held) && held.TryGetTarget(out encoding!) && encoding.Encodes(resources, version, typeUrl);
    }

    /// <summary>Writes <paramref name="response"/> (which must be <paramref name="encoding"/>'s content with a nonce) as the shared bytes and its nonce.</summary>
    public static Task WriteAsync(IServerStreamWriter<DiscoveryResponse> writer, DiscoveryResponse response, SotwEncoding encoding, CancellationToken cancellationToken)
    {
        writingResponse = response;
        writingEncoding = encoding;
        try
        {
            return writer.WriteAsync(response, cancellationToken);
        }
        finally
        {
            writingResponse = null;
            writingEncoding = null;
        }
    }

    /// <summary>The generated marshaller, but writing a shared response as its encoding and nonce.</summary>
    public static Marshaller<DiscoveryResponse> Marshaller(Marshaller<DiscoveryResponse> generated)
    {
        var serialize = generated.ContextualSerializer;
        return new Marshaller<DiscoveryResponse>(
            (response, context) =>
            {
                if (ReferenceEquals(response, writingResponse) && writingEncoding is { } encoding)
                {
                    encoding.WriteTo(response.Nonce, context);
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
/// A SotW response's <c>version_info</c> (field 1), <c>resources</c> (2) and <c>type_url</c> (4), encoded once.
/// The generated serializer writes fields in number order, and Mesh sets no other field but the <c>nonce</c> (5):
/// these bytes followed by the nonce field are exactly what it would write for the whole response.
/// </summary>
internal sealed class SotwEncoding
{
    private readonly byte[] _bytes;

    public SotwEncoding(IReadOnlyList<XdsResource> resources, string version, string typeUrl)
    {
        Resources = resources;
        Version = version;
        TypeUrl = typeUrl;
        var response = new DiscoveryResponse { VersionInfo = version, TypeUrl = typeUrl };
        foreach (var resource in resources)
        {
            response.Resources.Add(resource.Packed);
        }

        _bytes = response.ToByteArray();
    }

    public IReadOnlyList<XdsResource> Resources { get; }

    public string Version { get; }

    public string TypeUrl { get; }

    /// <summary>The shared part's size in bytes.</summary>
    public int Length => _bytes.Length;

    /// <summary>
    /// Whether this is the encoding of exactly that list at that version and type: a list is one type's, but an empty
    /// list may be one instance for every type (<see cref="Array.Empty{T}"/>).
    /// </summary>
    public bool Encodes(IReadOnlyList<XdsResource> resources, string version, string typeUrl) =>
        ReferenceEquals(Resources, resources) && Version == version && TypeUrl == typeUrl;

    /// <summary>The shared bytes and then the nonce field (none for an empty nonce, as proto3 leaves it out).</summary>
    public void WriteTo(string nonce, SerializationContext context)
    {
        var nonceField = NonceField.SizeOf(nonce, out var nonceLength);
        context.SetPayloadLength(_bytes.Length + nonceField);
        var writer = context.GetBufferWriter();
        writer.Write(_bytes);
        NonceField.Write(writer, nonce, nonceField, nonceLength);
        context.Complete();
    }
}
