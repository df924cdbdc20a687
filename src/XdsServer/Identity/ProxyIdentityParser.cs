using System.Diagnostics.CodeAnalysis;

namespace Mesh.XdsServer.Identity;

/// <summary>
/// Reads a proxy's identity from Envoy's <c>node.id</c>, which the aws-appmesh-envoy image fills from
/// APPMESH_RESOURCE_ARN: a full ARN (<c>arn:aws:appmesh:&lt;region&gt;:&lt;account&gt;:mesh/&lt;m&gt;/virtualNode/&lt;n&gt;</c>) or the
/// short form <c>mesh/&lt;m&gt;/virtualNode/&lt;n&gt;</c> (or <c>virtualGateway</c>). The Kubernetes injector writes a mesh
/// shared from another account as <c>mesh@owner</c>, which selects that owner's mesh.
/// </summary>
public sealed class ProxyIdentityParser(string defaultAccountId)
{
    public bool TryParse(string? nodeId, [NotNullWhen(true)] out ProxyIdentity? identity, [NotNullWhen(false)] out string? error)
    {
        identity = null;
        if (string.IsNullOrWhiteSpace(nodeId))
        {
            error = "node.id is empty; it must be the App Mesh ARN of a virtual node or virtual gateway, or its short form mesh/<mesh>/virtualNode/<name>";
            return false;
        }

        var account = defaultAccountId;
        var path = nodeId;
        if (nodeId.StartsWith("arn:", StringComparison.Ordinal))
        {
            var parts = nodeId.Split(':', 6);
            if (parts.Length != 6 || parts[1].Length == 0 || parts[2] != "appmesh" || !IsAccount(parts[4]))
            {
                error = $"node.id '{nodeId}' is not an App Mesh ARN (expected arn:aws:appmesh:<region>:<account>:mesh/<mesh>/virtualNode/<name>)";
                return false;
            }

            account = parts[4];
            path = parts[5];
        }

        var segments = path.Split('/');
        if (segments.Length != 4 || segments[0] != "mesh" || segments.Any(s => s.Length == 0))
        {
            error = $"node.id '{nodeId}' must name a virtual node or virtual gateway: mesh/<mesh>/virtualNode/<name> or mesh/<mesh>/virtualGateway/<name>";
            return false;
        }

        ProxyKind kind;
        switch (segments[2])
        {
            case "virtualNode":
                kind = ProxyKind.VirtualNode;
                break;
            case "virtualGateway":
                kind = ProxyKind.VirtualGateway;
                break;
            default:
                error = $"node.id '{nodeId}' names a {segments[2]}; only a virtualNode or virtualGateway can run a proxy";
                return false;
        }

        var mesh = segments[1];
        var at = mesh.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            var owner = mesh[(at + 1)..];
            if (!IsAccount(owner) || at == 0)
            {
                error = $"node.id '{nodeId}' has a mesh owner that is not a 12-digit account";
                return false;
            }

            account = owner;
            mesh = mesh[..at];
        }

        identity = new ProxyIdentity(new MeshKey(account, mesh), kind, segments[3]);
        error = null;
        return true;
    }

    private static bool IsAccount(string s) => s.Length == 12 && s.All(char.IsAsciiDigit);
}
