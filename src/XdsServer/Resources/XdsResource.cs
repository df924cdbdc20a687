using System.Security.Cryptography;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.XdsServer.Resources;

/// <summary>
/// One Envoy resource, serialised once. Its version is a hash of its bytes, so the same content has the same
/// version on every replica and after every restart. The packed forms are built here once and then shared by
/// every response to every proxy that receives this resource.
/// </summary>
public sealed class XdsResource
{
    private XdsResource(string typeUrl, string name, ByteString bytes, bool onDemandOnly)
    {
        TypeUrl = typeUrl;
        Name = name;
        OnDemandOnly = onDemandOnly;
        Version = Hashing.Hex(SHA256.HashData(bytes.Span), 16);
        Packed = new Any { TypeUrl = typeUrl, Value = bytes };
        DeltaResource = new Resource { Name = name, Version = Version, Resource_ = Packed };
    }

    public string TypeUrl { get; }

    public string Name { get; }

    public string Version { get; }

    /// <summary>
    /// Sent only to a client that asks for it by name, never as part of a wildcard. Proxyless gRPC listeners
    /// (api_listener) are like that: an Envoy subscribed to every listener must not receive them.
    /// </summary>
    public bool OnDemandOnly { get; }

    public Any Packed { get; }

    /// <summary>The delta-xDS envelope, also built once.</summary>
    public Resource DeltaResource { get; }

    public int Size => Packed.Value.Length;

    public static XdsResource Create(string typeUrl, string name, IMessage message, bool onDemandOnly = false) =>
        new(typeUrl, name, message.ToByteString(), onDemandOnly);
}
