using System.Diagnostics.CodeAnalysis;

namespace Mesh.Model.Identity;

/// <summary>
/// What Envoy's <c>node.id</c> names, as written: a full App Mesh ARN
/// (<c>arn:aws:appmesh:&lt;region&gt;:&lt;account&gt;:mesh/&lt;m&gt;/virtualNode/&lt;n&gt;</c>, as the aws-appmesh-envoy image fills it from
/// APPMESH_RESOURCE_ARN) or the short form <c>mesh/&lt;m&gt;/virtualNode/&lt;n&gt;</c> / <c>mesh/&lt;m&gt;/virtualGateway/&lt;n&gt;</c>, where a
/// mesh shared from another account may be written <c>mesh@owner</c> (as the Kubernetes injector does).
/// </summary>
/// <param name="Value">The node id as given.</param>
/// <param name="ArnAccountId">The account of the ARN form; null for the short form.</param>
/// <param name="MeshOwner">The account after <c>@</c> in the mesh name, if any.</param>
/// <param name="ArnRegion">The region of the ARN form; null for the short form. An installation serves one region
/// (<c>Mesh:Region</c>), so an ARN of another names nothing there; whoever knows the region checks it.</param>
public sealed record NodeId(string Value, string Mesh, string? MeshOwner, string? ArnAccountId, ProxyKind Kind, string Name, string? ArnRegion = null)
{
    /// <summary>
    /// The one set of rules for node ids: the bootstrap writer, the webhook and the xDS server all apply it, so a
    /// bootstrap Mesh writes is never refused for its identity. <paramref name="subject"/> names the value in messages.
    /// </summary>
    public static bool TryParse(string? nodeId, [NotNullWhen(true)] out NodeId? node, [NotNullWhen(false)] out string? error, string subject = "node.id")
    {
        node = null;
        if (string.IsNullOrWhiteSpace(nodeId))
        {
            error = $"{subject} is empty (missing); it must be the App Mesh ARN of a virtual node or virtual gateway, or its short form mesh/<mesh>/virtualNode/<name>";
            return false;
        }

        string? arnAccount = null, arnRegion = null;
        var path = nodeId;
        if (Arn.LooksLikeArn(nodeId))
        {
            if (!Arn.TryParse(nodeId, out var arn) || arn.Value.Service != Arn.AppMeshService || !Arn.IsAccountId(arn.Value.AccountId))
            {
                error = $"{subject} '{nodeId}' is not an App Mesh ARN (expected arn:aws:appmesh:<region>:<account>:mesh/<mesh>/virtualNode/<name>)";
                return false;
            }

            arnAccount = arn.Value.AccountId;
            arnRegion = arn.Value.Region;
            path = arn.Value.Resource;
        }

        var segments = path.Split('/');
        if (segments.Length != 4 || segments[0] != "mesh" || segments.Any(s => s.Length == 0))
        {
            error = $"{subject} '{nodeId}' must name a virtual node or virtual gateway: mesh/<mesh>/virtualNode/<name> or mesh/<mesh>/virtualGateway/<name>";
            return false;
        }

        if (ProxyKinds.FromWireName(segments[2]) is not { } kind)
        {
            error = $"{subject} '{nodeId}' names a {segments[2]}; only a virtualNode or virtualGateway can run a proxy";
            return false;
        }

        var mesh = segments[1];
        string? owner = null;
        var at = mesh.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            owner = mesh[(at + 1)..];
            if (at == 0 || !Arn.IsAccountId(owner))
            {
                error = $"{subject} '{nodeId}' has a mesh owner that is not a 12-digit account";
                return false;
            }

            mesh = mesh[..at];
        }

        // A control character would be written into logs, stats tags and headers as it stands.
        if (nodeId.Any(char.IsControl))
        {
            error = $"{subject} contains control characters";
            return false;
        }

        node = new NodeId(nodeId, mesh, owner, arnAccount, kind, segments[3], arnRegion);
        error = null;
        return true;
    }

    public static NodeId Parse(string? nodeId, string subject = "node.id") =>
        TryParse(nodeId, out var node, out var error, subject) ? node : throw new ArgumentException(error, nameof(nodeId));

    /// <summary>
    /// The proxy's identity: the mesh belongs to its <c>@owner</c>, else to the ARN's account, else (short form) to
    /// <paramref name="defaultAccountId"/>, the installation's own account.
    /// </summary>
    public ProxyIdentity ToIdentity(string defaultAccountId) =>
        new(new MeshKey(MeshOwner ?? ArnAccountId ?? defaultAccountId, Mesh), Kind, Name);
}
