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
        if (name.Length > MaxLength)
        {
            violations.Add(new Violation(member, $"must be at most {MaxLength} characters, got {name.Length}"));
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
        name.Length <= MaxLength && !name.Contains('/') && !HasControlCharacter(name) && name is not ("." or "..");

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
