using Mesh.Model.Identity;

namespace Mesh.Model.Resources;

/// <summary>
/// Identifies one resource inside an account: its mesh, its kind, its parent (the virtual router of a
/// route, the virtual gateway of a gateway route, else empty) and its name.
/// </summary>
public sealed record ResourceId(ResourceKind Kind, string MeshName, string ParentName, string Name)
{
    public static ResourceId ForMesh(string meshName) => new(ResourceKind.Mesh, meshName, "", meshName);

    /// <summary>The path App Mesh puts after the account in an ARN.</summary>
    public string ArnPath => Kind switch
    {
        _ when Kind.IsMesh => $"mesh/{MeshName}",
        _ when Kind.Parent is { } parent => $"mesh/{MeshName}/{parent.WireName}/{ParentName}/{Kind.WireName}/{Name}",
        _ => $"mesh/{MeshName}/{Kind.WireName}/{Name}",
    };

    /// <summary>
    /// <c>Arn.AppMesh(region, accountId, ArnPath).ToString()</c>, written as one string: every API call's policy check
    /// makes its resource's ARN, and the path's own string was made only to be copied.
    /// </summary>
    public string ToArn(string region, string accountId) => Kind switch
    {
        _ when Kind.IsMesh => $"arn:{Arn.DefaultPartition}:{Arn.AppMeshService}:{region}:{accountId}:mesh/{MeshName}",
        _ when Kind.Parent is { } parent =>
            $"arn:{Arn.DefaultPartition}:{Arn.AppMeshService}:{region}:{accountId}:mesh/{MeshName}/{parent.WireName}/{ParentName}/{Kind.WireName}/{Name}",
        _ => $"arn:{Arn.DefaultPartition}:{Arn.AppMeshService}:{region}:{accountId}:mesh/{MeshName}/{Kind.WireName}/{Name}",
    };

    /// <summary>A human-readable description for messages, e.g. "virtual node 'web' in mesh 'demo'".</summary>
    public string Describe() => Kind.IsMesh ? $"mesh '{MeshName}'" : $"{DescribeInMesh()} in mesh '{MeshName}'";

    /// <summary>The description without the mesh, for messages that already name it, e.g. "route 'r' of virtual router 'vr'".</summary>
    public string DescribeInMesh() => Kind switch
    {
        _ when Kind.IsMesh => $"mesh '{MeshName}'",
        _ when Kind.Parent is { } parent => $"{Humanize(Kind)} '{Name}' of {Humanize(parent)} '{ParentName}'",
        _ => $"{Humanize(Kind)} '{Name}'",
    };

    /// <summary>The kind in words, e.g. "virtual node", or "virtual nodes" for <paramref name="count"/> other than 1.</summary>
    public static string Noun(ResourceKind kind, int count = 1) => count == 1 ? Humanize(kind) : Humanize(kind) + "s";

    /// <summary>Parses an App Mesh ARN into its account and resource; null when it is not one.</summary>
    public static (string Region, string AccountId, ResourceId Id)? TryParseArn(string arn)
    {
        if (!Arn.TryParse(arn, out var parsed) || parsed.Value.Service != Arn.AppMeshService)
        {
            return null;
        }

        var segments = parsed.Value.Resource.Split('/');
        if (segments.Length < 2 || segments[0] != "mesh" || segments.Any(s => s.Length == 0))
        {
            return null;
        }

        var mesh = segments[1];
        ResourceId? id = segments.Length switch
        {
            2 => ForMesh(mesh),
            4 => ResourceKind.All.FirstOrDefault(k => k.Parent is null && !k.IsMesh && k.WireName == segments[2]) is { } kind
                ? new ResourceId(kind, mesh, "", segments[3])
                : null,
            6 => ResourceKind.All.FirstOrDefault(k => k.Parent?.WireName == segments[2] && k.WireName == segments[4]) is { } child
                ? new ResourceId(child, mesh, segments[3], segments[5])
                : null,
            _ => null,
        };
        return id is null ? null : (parsed.Value.Region, parsed.Value.AccountId, id);
    }

    private static string Humanize(ResourceKind kind) =>
        string.Concat(kind.WireName.Select(c => char.IsUpper(c) ? " " + char.ToLowerInvariant(c) : c.ToString()));
}
