using System.Buffers;
using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using Mesh.Model.Wire;

namespace Mesh.Api.Protocol;

/// <summary>
/// The strings request bodies spell over and over, made once: every member name of the model's shapes and every value
/// of its enums. A body's member name or string that is one of them, unescaped, is this string instead of a new one
/// decoded from its bytes: the same text, so nothing that reads it can tell (issue14ar).
/// </summary>
/// <remarks>
/// A create of a virtual node spells about twenty of them (its spec's member names, a listener's protocols), each a new
/// string on every call before.
/// </remarks>
internal sealed class KnownStrings
{
    /// <summary>The longest string kept, in characters; a longer token is decoded as any other.</summary>
    private const int MaxLength = 64;

    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> lookup;

    private KnownStrings(IEnumerable<string> strings) =>
        lookup = strings.Where(s => s.Length <= MaxLength && Ascii.IsValid(s))
            .ToFrozenSet(StringComparer.Ordinal)
            .GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The member names and enum values of <paramref name="model"/>'s shapes.</summary>
    public static KnownStrings Of(ServiceModel model) =>
        new(model.Shapes.Values.SelectMany(shape => shape.Members.Select(member => member.Name).Concat(shape.Enum ?? [])));

    /// <summary>
    /// The kept string the reader's current token (a member name or a string) spells, when it is written without escapes
    /// and in ASCII (then its bytes are its characters); null for any other token, which is then decoded.
    /// </summary>
    public string? Find(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence || reader.ValueSpan.Length > MaxLength)
        {
            return null;
        }

        Span<char> text = stackalloc char[MaxLength];
        return Ascii.ToUtf16(reader.ValueSpan, text, out var length) == OperationStatus.Done
               && lookup.TryGetValue(text[..length], out var kept)
            ? kept
            : null;
    }
}
