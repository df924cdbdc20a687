using System.Diagnostics.CodeAnalysis;

namespace Mesh.XdsServer.Identity;

/// <summary>
/// Reads a connected proxy's identity from Envoy's <c>node.id</c> by the model's rules (<see cref="NodeId"/>): a
/// short-form id belongs to this installation's account (<c>Mesh:AccountId</c>), which this parser carries. With
/// <paramref name="region"/> (<c>Mesh:Region</c>), an ARN of another region is refused: the installation serves one
/// region, its API finds nothing by such an ARN, and taking it for this region's node would serve (and authorise)
/// a proxy as a node it does not name.
/// </summary>
public sealed class ProxyIdentityParser(string defaultAccountId, string? region = null)
{
    public bool TryParse(string? nodeId, [NotNullWhen(true)] out ProxyIdentity? identity, [NotNullWhen(false)] out string? error)
    {
        identity = null;
        if (!NodeId.TryParse(nodeId, out var node, out error))
        {
            return false;
        }

        if (region is not null && node.ArnRegion is { } arnRegion && !string.Equals(arnRegion, region, StringComparison.Ordinal))
        {
            error = $"node.id '{nodeId}' is an ARN in region '{arnRegion}', but this xDS server serves region '{region}' (Mesh:Region), where it names nothing";
            return false;
        }

        identity = node.ToIdentity(defaultAccountId);
        return true;
    }
}
