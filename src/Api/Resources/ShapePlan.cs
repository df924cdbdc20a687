using System.Text.Json;
using Mesh.Model.Resources;
using Mesh.Model.Wire;

namespace Mesh.Api.Resources;

/// <summary>
/// The plan of a writer that writes one kind's shape straight to JSON: the shape's members in the order the shape
/// declares them, each with the stored field that answers it, worked out once per kind rather than by matching member
/// names on every row. A member that nothing stored answers is left out, as the object-building path leaves it out.
/// </summary>
internal static class ShapePlan
{
    /// <param name="byName">The field for a member of a fixed name (<c>arn</c>, <c>spec</c>, …), or null.</param>
    /// <param name="name">The field for the kind's own name member (<c>virtualNodeName</c>, …); a mesh's name is <c>meshName</c>.</param>
    /// <param name="parentName">The field for the parent's name member (a route's <c>virtualRouterName</c>, …).</param>
    public static (JsonEncodedText Name, TField Field)[] For<TField>(
        ServiceModel model, string shape, ResourceKind kind, Func<string, TField?> byName, TField name, TField parentName)
        where TField : struct, Enum
    {
        var plan = new List<(JsonEncodedText, TField)>();
        foreach (var member in model.Shape(shape).Members)
        {
            var field = byName(member.Name)
                ?? (!kind.IsMesh && member.Name == kind.NameMember ? name
                    : kind.Parent is { } parent && member.Name == parent.NameMember ? parentName
                    : (TField?)null);
            if (field is { } known)
            {
                plan.Add((JsonEncodedText.Encode(member.Name), known));
            }
        }

        return [.. plan];
    }
}
