namespace Mesh.Bootstrap;

/// <summary>Whether a proxy is a virtual node's sidecar or a virtual gateway.</summary>
public enum ProxyResourceKind
{
    VirtualNode,
    VirtualGateway,
}

/// <summary>
/// The App Mesh resource a proxy runs for, read from what becomes Envoy's <c>node.id</c>: a full ARN
/// (<c>arn:aws:appmesh:&lt;region&gt;:&lt;account&gt;:mesh/&lt;m&gt;/virtualNode/&lt;n&gt;</c>) or the short form
/// <c>mesh/&lt;m&gt;/virtualNode/&lt;n&gt;</c> / <c>mesh/&lt;m&gt;/virtualGateway/&lt;n&gt;</c>, where a shared mesh may be
/// written <c>mesh@owner</c>. These are the rules the xDS server applies to <c>node.id</c>, so a bootstrap this library
/// writes is never refused for its identity.
/// </summary>
public sealed record ProxyResource(string NodeId, string Mesh, string? MeshOwner, ProxyResourceKind Kind, string Name)
{
    /// <summary>The kind as App Mesh spells it in ARNs: <c>virtualNode</c> or <c>virtualGateway</c>.</summary>
    public string KindName => Kind == ProxyResourceKind.VirtualNode ? "virtualNode" : "virtualGateway";

    /// <summary>The kind in snake case, as in the stats tag <c>appmesh.virtual_node</c> / <c>appmesh.virtual_gateway</c>.</summary>
    public string KindSnakeName => Kind == ProxyResourceKind.VirtualNode ? "virtual_node" : "virtual_gateway";

    public static ProxyResource Parse(string? nodeId) =>
        TryParse(nodeId, out var resource, out var error) ? resource : throw new ArgumentException(error);

    public static bool TryParse(string? nodeId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ProxyResource? resource,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        resource = null;
        if (string.IsNullOrWhiteSpace(nodeId))
        {
            error = "The node is missing: give the App Mesh ARN of a virtual node or virtual gateway, or its short form mesh/<mesh>/virtualNode/<name>.";
            return false;
        }

        var path = nodeId;
        if (nodeId.StartsWith("arn:", StringComparison.Ordinal))
        {
            var parts = nodeId.Split(':', 6);
            if (parts.Length != 6 || parts[1].Length == 0 || parts[2] != "appmesh" || !IsAccount(parts[4]))
            {
                error = $"'{nodeId}' is not an App Mesh ARN (expected arn:aws:appmesh:<region>:<account>:mesh/<mesh>/virtualNode/<name>).";
                return false;
            }

            path = parts[5];
        }

        var segments = path.Split('/');
        if (segments.Length != 4 || segments[0] != "mesh" || segments.Any(s => s.Length == 0))
        {
            error = $"'{nodeId}' must name a virtual node or virtual gateway: mesh/<mesh>/virtualNode/<name> or mesh/<mesh>/virtualGateway/<name>.";
            return false;
        }

        ProxyResourceKind kind;
        switch (segments[2])
        {
            case "virtualNode":
                kind = ProxyResourceKind.VirtualNode;
                break;
            case "virtualGateway":
                kind = ProxyResourceKind.VirtualGateway;
                break;
            default:
                error = $"'{nodeId}' names a {segments[2]}; only a virtualNode or virtualGateway runs a proxy.";
                return false;
        }

        var mesh = segments[1];
        string? owner = null;
        var at = mesh.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            owner = mesh[(at + 1)..];
            if (at == 0 || !IsAccount(owner))
            {
                error = $"'{nodeId}' has a mesh owner that is not a 12-digit account.";
                return false;
            }

            mesh = mesh[..at];
        }

        if (nodeId.Any(char.IsControl))
        {
            error = "The node contains control characters.";
            return false;
        }

        resource = new ProxyResource(nodeId, mesh, owner, kind, segments[3]);
        error = null;
        return true;
    }

    private static bool IsAccount(string s) => s.Length == 12 && s.All(char.IsAsciiDigit);
}
