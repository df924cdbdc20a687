using Mesh.Model.Wire;

namespace Mesh.Api.Resources;

/// <summary>
/// Rules for resource names beyond the model's. A name becomes a URI path segment and a segment of its
/// ARN, so '/' and control characters would make it unreachable or ambiguous. Every name is stored in the
/// same indexed column, so every name has ResourceName's 255-character limit, including a virtual
/// service's (the model gives ServiceName no limit; a DNS name, which it usually is, has at most 253).
/// </summary>
/// <remarks>
/// A name is also held to <see cref="MaxUtf8Bytes"/>: the identity index (account, mesh, kind, parent, name) holds
/// a row of at most 2,704 bytes, and three names of 255 characters outside the Basic Multilingual Plane (4 bytes
/// each in UTF-8) would overrun it, and the write fail inside PostgreSQL. 765 bytes is 255 characters of up to 3
/// bytes, so every name of the Basic Multilingual Plane within 255 characters is kept, as before names were counted
/// in characters.
/// </remarks>
public static class ResourceNames
{
    public const int MaxLength = 255;

    /// <summary>The most UTF-8 bytes a name may take: 255 characters of the Basic Multilingual Plane.</summary>
    public const int MaxUtf8Bytes = 3 * MaxLength;

    public static void Check(string member, string name, List<Violation> violations)
    {
        if (name.Length == 0)
        {
            // The model gives a virtual service's name (ServiceName) no minimum; an empty one could be created but
            // never described, updated or deleted (its path would be the list's), and its mesh never deleted.
            violations.Add(new Violation(member, "must not be empty"));
        }

        if (CharacterCount(name) is var characters and > MaxLength)
        {
            violations.Add(new Violation(member, $"must be at most {MaxLength} characters, got {characters}"));
        }
        else if (Utf8BytesIfLong(name) is var bytes and > MaxUtf8Bytes)
        {
            violations.Add(new Violation(member,
                $"must be at most {MaxUtf8Bytes} bytes in UTF-8 (a character outside the Basic Multilingual Plane, such as an emoji, takes 4), got {bytes}"));
        }

        if (name.Contains('/'))
        {
            violations.Add(new Violation(member, "must not contain '/'"));
        }

        if (HasControlCharacter(name))
        {
            violations.Add(new Violation(member, "must not contain control characters"));
        }

        if (name is "." or "..")
        {
            violations.Add(new Violation(member, "must not be '.' or '..'"));
        }
    }

    /// <summary>Whether <see cref="Check"/> finds nothing to refuse in <paramref name="name"/> (without a list to add to).</summary>
    public static bool Keeps(string name) =>
        name.Length > 0 && CharacterCount(name) <= MaxLength && Utf8BytesIfLong(name) <= MaxUtf8Bytes && !name.Contains('/') && !HasControlCharacter(name) && name is not ("." or "..");

    /// <summary>The name's length in UTF-8, or 0 for a name too short to exceed <see cref="MaxUtf8Bytes"/> (a UTF-16 unit takes at most 3 bytes), which is not encoded to count it.</summary>
    private static int Utf8BytesIfLong(string name) =>
        name.Length * 3 <= MaxUtf8Bytes ? 0 : System.Text.Encoding.UTF8.GetByteCount(name);

    /// <summary>
    /// The name's length as the model counts it, in characters (a character outside the BMP is one, not two UTF-16
    /// units), as the shape validator and PostgreSQL's varchar count. A name of at most 255 UTF-16 units is counted
    /// without walking it.
    /// </summary>
    private static int CharacterCount(string name)
    {
        if (name.Length <= MaxLength)
        {
            return name.Length;
        }

        var count = 0;
        foreach (var _ in name.EnumerateRunes())
        {
            count++;
        }

        return count;
    }

    // A loop rather than LINQ's Any: this runs for every name of every call, and Any allocated an enumerator each time.
    private static bool HasControlCharacter(string name)
    {
        foreach (var c in name)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }
}
