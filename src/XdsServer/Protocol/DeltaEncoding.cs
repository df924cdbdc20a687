using System.Buffers;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// A shared delta response encoded once but its nonce: its <c>system_version_info</c> (field 1), <c>resources</c> (2)
/// and <c>type_url</c> (4) before the nonce (5), and its <c>removed_resources</c> (6) after it. The generated serializer
/// writes fields in number order, and Mesh sets no other field, so these parts around a nonce field are exactly what
/// it would write for the response with that nonce.
/// </summary>
internal sealed class DeltaEncoding
{
    private readonly byte[] _beforeNonce;
    private readonly byte[] _afterNonce;

    public DeltaEncoding(DeltaDiscoveryResponse response)
    {
        var before = new DeltaDiscoveryResponse { SystemVersionInfo = response.SystemVersionInfo, TypeUrl = response.TypeUrl };
        before.Resources.AddRange(response.Resources);
        var after = new DeltaDiscoveryResponse();
        after.RemovedResources.AddRange(response.RemovedResources);
        _beforeNonce = before.ToByteArray();
        _afterNonce = after.ToByteArray();
    }

    /// <summary>The response with <paramref name="nonce"/> as its nonce, as one array (what <see cref="WriteTo"/> writes).</summary>
    public byte[] ToByteArray(string nonce)
    {
        var nonceField = NonceField.SizeOf(nonce, out var nonceLength);
        var writer = new ArrayBufferWriter<byte>(_beforeNonce.Length + nonceField + _afterNonce.Length);
        writer.Write(_beforeNonce);
        NonceField.Write(writer, nonce, nonceField, nonceLength);
        writer.Write(_afterNonce);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the response with <paramref name="nonce"/> as its nonce.</summary>
    public void WriteTo(string nonce, SerializationContext context)
    {
        var nonceField = NonceField.SizeOf(nonce, out var nonceLength);
        context.SetPayloadLength(_beforeNonce.Length + nonceField + _afterNonce.Length);
        var writer = context.GetBufferWriter();
        writer.Write(_beforeNonce);
        NonceField.Write(writer, nonce, nonceField, nonceLength);
        writer.Write(_afterNonce);
        context.Complete();
    }
}
