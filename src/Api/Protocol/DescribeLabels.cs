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

        var input = model.Shape(inputName);
        var expected = new List<string> { "meshName" };
        if (!kind.IsMesh)
        {
            expected.Add(kind.NameMember);
        }

        if (kind.Parent is { } parentKind)
        {
            expected.Add(parentKind.NameMember);
        }

        var uri = input.Members.Where(m => m.Location == MemberLocation.Uri).ToList();
        var bindsExactlyTheLabels =
            uri.Count == expected.Count
            && uri.All(m => expected.Contains(m.Name) && m.LocationName == m.Name && model.Shape(m.ShapeName).Type == ShapeType.String)
            && input.Members.All(m => m.Location is MemberLocation.Uri or MemberLocation.QueryString)
            && input.Required.All(name => uri.Any(m => m.Name == name));
        if (!bindsExactlyTheLabels)
        {
            return null;
        }

        Label LabelOf(string name) => new(name, model.Shape(uri.Single(m => m.Name == name).ShapeName));
        return new DescribeLabels(
            operationName,
            kind,
            LabelOf("meshName"),
            kind.Parent is { } parent ? LabelOf(parent.NameMember) : null,
            kind.IsMesh ? null : LabelOf(kind.NameMember));
    }
}
