using Mesh.Model.Wire;

namespace Mesh.Api.Resources;

/// <summary>
/// Rules for resource names beyond the model's. A name becomes a URI path segment and a segment of its
/// ARN, so '/' and control characters would make it unreachable or ambiguous. Every name is stored in the
/// same indexed column, so every name has ResourceName's 255-character limit, including a virtual
/// service's (the model gives ServiceName no limit; a DNS name, which it usually is, has at most 253).
/// </summary>
public static class ResourceNames
{
    public const int MaxLength = 255;

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
        name.Length > 0 && CharacterCount(name) <= MaxLength && !name.Contains('/') && !HasControlCharacter(name) && name is not ("." or "..");

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
