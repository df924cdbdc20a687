using System.Buffers;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// A node's whole wire bytes as three pieces held elsewhere: the fields before its extensions and those after them
/// (both in the <see cref="NodeInterner"/>'s entry, which holds the node less its extensions) and the extensions
/// themselves (<see cref="SharedExtensions"/>: one copy for every proxy of an Envoy build). Envoy writes a node's
/// fields in their numbers' order, so the extensions (field 9) are one run between the two; a node whose extensions
/// are not one run is not held (<see cref="IsHeld"/> false) and is read in full on every request.
/// </summary>
internal readonly struct NodeWire(byte[] kept, int extensionsAt, byte[] extensions)
{
    /// <summary>Whether the bytes are held (default: not).</summary>
    public bool IsHeld => kept is not null;

    /// <summary>Whether <paramref name="bytes"/> are these bytes, exactly.</summary>
    public bool Matches(ReadOnlySequence<byte> bytes)
    {
        if (!IsHeld || bytes.Length != kept.Length + extensions.Length)
        {
            return false;
        }

        var piece = 0;
        var expected = Piece(piece);
        foreach (var segment in bytes)
        {
            var actual = segment.Span;
            while (!actual.IsEmpty)
            {
                while (expected.IsEmpty)
                {
                    expected = Piece(++piece); // the lengths are equal, so the pieces last as long as the bytes
                }

                var length = Math.Min(actual.Length, expected.Length);
                if (!actual[..length].SequenceEqual(expected[..length]))
                {
                    return false;
                }

                actual = actual[length..];
                expected = expected[length..];
            }
        }

        return true;
    }

    private ReadOnlySpan<byte> Piece(int index) => index switch
    {
        0 => kept.AsSpan(0, extensionsAt),
        1 => extensions,
        _ => kept.AsSpan(extensionsAt),
    };
}
