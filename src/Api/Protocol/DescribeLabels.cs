using Mesh.Model.Resources;
using Mesh.Model.Wire;

namespace Mesh.Api.Protocol;

/// <summary>
/// A Describe operation's path labels (the mesh's name, the resource's own and its parent's) with their shapes, for
/// <see cref="RequestBinder.TryBindDescribe"/>: made only when the model's input is exactly those labels plus members
/// the query string carries, none of them required, so that labels the rules keep are the whole bound input.
/// </summary>
internal sealed record DescribeLabels(string Operation, ResourceKind Kind, DescribeLabels.Label Mesh, DescribeLabels.Label? Parent, DescribeLabels.Label? Name)
{
    /// <summary>A label's route name (also its member's name) and its member's shape.</summary>
    public sealed record Label(string Name, Shape Shape);

    public static DescribeLabels? Of(ServiceModel model, ResourceKind kind)
    {
        var operationName = "Describe" + kind.PascalName;
        if (model.Operations.FirstOrDefault(o => o.Name == operationName) is not { InputShape: { } inputName } operation
            || operation.HttpMethod != HttpMethods.Get)
        {
            return null;
        }

        var expected = new List<string> { "meshName" };
        if (!kind.IsMesh)
        {
            expected.Add(kind.NameMember);
        }

        if (kind.Parent is { } parentKind)
        {
            expected.Add(parentKind.NameMember);
        }

        if (ExactLabels(model, model.Shape(inputName), expected) is not { } labels)
        {
            return null;
        }

        return new DescribeLabels(
            operationName,
            kind,
            labels["meshName"],
            kind.Parent is { } parent ? labels[parent.NameMember] : null,
            kind.IsMesh ? null : labels[kind.NameMember]);
    }

    /// <summary>
    /// The input's labels by member name, when its URI members are exactly <paramref name="expected"/> (string labels
    /// named as their members), every other member travels in the query string and none of those is required; else
    /// null. Then the labels are all the bound input a call without a query string has.
    /// </summary>
    internal static IReadOnlyDictionary<string, Label>? ExactLabels(ServiceModel model, Shape input, IReadOnlyCollection<string> expected)
    {
        var uri = input.Members.Where(m => m.Location == MemberLocation.Uri).ToList();
        var bindsExactlyTheLabels =
            uri.Count == expected.Count
            && uri.All(m => expected.Contains(m.Name) && m.LocationName == m.Name && model.Shape(m.ShapeName).Type == ShapeType.String)
            && input.Members.All(m => m.Location is MemberLocation.Uri or MemberLocation.QueryString)
            && input.Required.All(name => uri.Any(m => m.Name == name));
        return bindsExactlyTheLabels ? uri.ToDictionary(m => m.Name, m => new Label(m.Name, model.Shape(m.ShapeName)), StringComparer.Ordinal) : null;
    }
}
