using Mesh.Model.Wire;

namespace Mesh.Api.Resources;

/// <summary>
/// Rules for resource names beyond the model's 1–255 characters. A name becomes a URI path segment
/// and a segment of its ARN, so '/' and control characters would make it unreachable or ambiguous.
/// </summary>
public static class ResourceNames
{
    public static void Check(string member, string name, List<Violation> violations)
    {
        if (name.Contains('/'))
        {
            violations.Add(new Violation(member, "must not contain '/'"));
        }

        if (name.Any(char.IsControl))
        {
            violations.Add(new Violation(member, "must not contain control characters"));
        }

        if (name is "." or "..")
        {
            violations.Add(new Violation(member, "must not be '.' or '..'"));
        }
    }
}
