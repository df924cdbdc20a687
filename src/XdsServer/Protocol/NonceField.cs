using System.Buffers;
using System.Text;
using Google.Protobuf;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// The <c>nonce</c> field (5, a string) of a discovery response, SotW or delta alike, written after bytes encoded
/// once for every stream (<see cref="SotwEncoding"/>, <see cref="DeltaEncoding"/>): the nonce is the one part each
/// stream writes for itself.
/// </summary>
internal static class NonceField
{
    private const byte Tag = (5 << 3) | 2; // field 5, length-delimited

    /// <summary>The field's size in bytes: none for an empty nonce, as proto3 leaves it out.</summary>
    public static int SizeOf(string nonce, out int length)
    {
        length = Encoding.UTF8.GetByteCount(nonce);
        return length == 0 ? 0 : 1 + CodedOutputStream.ComputeLengthSize(length) + length;
    }

    /// <summary>Writes the field of <see cref="SizeOf"/>'s size (nothing when it is 0).</summary>
    public static void Write(IBufferWriter<byte> writer, string nonce, int size, int length)
    {
        if (size == 0)
        {
            return;
        }

        var span = writer.GetSpan(size);
        span[0] = Tag;
        var at = 1;
        for (var rest = (uint)length; ; rest >>= 7)
        {
            if (rest < 0x80)
            {
                span[at++] = (byte)rest;
                break;
            }

            span[at++] = (byte)(rest | 0x80);
        }

        Encoding.UTF8.GetBytes(nonce, span[at..]);
        writer.Advance(size);
    }
}
