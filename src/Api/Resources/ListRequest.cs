using Mesh.Model.Resources;

namespace Mesh.Api.Resources;

/// <summary>
/// What a list page reads: the kind, its container's names (empty where the kind has none) and the page's limit and
/// nextToken, as bound from the request (<see cref="Protocol.RequestBinder.TryBindList"/>, or from the bound input).
/// </summary>
public readonly record struct ListRequest(ResourceKind Kind, string MeshName, string ParentName, int Limit, string? NextToken)
{
    /// <summary>The page's size when the call names none: App Mesh's default, and its largest.</summary>
    public const int DefaultLimit = 100;
}
