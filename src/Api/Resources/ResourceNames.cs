using System.Text;
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

        // A name of at most 255 UTF-16 units has at most 255 characters and 765 UTF-8 bytes: only a longer one is counted.
        if (name.Length > MaxLength && ShapeValidator.CountCharacters(name) is var characters and > MaxLength)
        {
            violations.Add(new Violation(member, $"must be at most {MaxLength} characters, got {characters}"));
        }
        else if (name.Length > MaxLength && Encoding.UTF8.GetByteCount(name) is var bytes and > MaxUtf8Bytes)
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
        name.Length > 0
        && (name.Length <= MaxLength || (ShapeValidator.CountCharacters(name) <= MaxLength && Encoding.UTF8.GetByteCount(name) <= MaxUtf8Bytes))
        && !name.Contains('/') && !HasControlCharacter(name) && name is not ("." or "..");

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
