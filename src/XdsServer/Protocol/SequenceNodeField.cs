using System.Buffers;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// Finds a request's one <c>node</c> field among its top-level fields where the request lies (Kestrel's blocks),
/// without copying it: a request has half a dozen top-level fields, so this reads a few tags and lengths and skips
/// the node's tens of KB whole. Anything it does not expect (no node, a node given twice, a node that is not
/// length-delimited, a malformed or truncated field) is "not found", and the caller reads the request the full way,
/// which fails or merges exactly as the generated parser does.
/// </summary>
internal static class SequenceNodeField
{
    /// <summary>
    /// Where the node field is: <paramref name="fieldStart"/> at its tag, <paramref name="payloadStart"/> after its
    /// length, <paramref name="end"/> after its last byte (offsets in <paramref name="request"/>).
    /// </summary>
    public static bool TryLocate(ReadOnlySequence<byte> request, int nodeField, out long fieldStart, out long payloadStart, out long end)
    {
        fieldStart = payloadStart = end = -1;
        var reader = new SequenceReader<byte>(request);
        while (!reader.End)
        {
            var start = reader.Consumed;
            if (!TryReadVarint(ref reader, out var tag) || tag >> 3 == 0)
            {
                return false;
            }

            var wireType = (int)(tag & 7);
            var isNode = (long)(tag >> 3) == nodeField;
            if (isNode && (wireType != 2 || fieldStart >= 0))
            {
                return false;
            }

            switch (wireType)
            {
                case 0:
                    if (!TryReadVarint(ref reader, out _))
                    {
                        return false;
                    }

                    break;
                case 1:
                case 5:
                    var size = wireType == 1 ? 8 : 4;
                    if (reader.Remaining < size)
                    {
                        return false;
                    }

                    reader.Advance(size);
                    break;
                case 2:
                    if (!TryReadVarint(ref reader, out var length) || length > (ulong)reader.Remaining)
                    {
                        return false;
                    }

                    if (isNode)
                    {
                        fieldStart = start;
                        payloadStart = reader.Consumed;
                        end = payloadStart + (long)length;
                    }

                    reader.Advance((long)length);
                    break;
                default:
                    return false; // a group or an unknown wire type: the parser's to report
            }
        }

        return fieldStart >= 0;
    }

    private static bool TryReadVarint(ref SequenceReader<byte> reader, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (!reader.TryRead(out var b))
            {
                return false;
            }

            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }
}
