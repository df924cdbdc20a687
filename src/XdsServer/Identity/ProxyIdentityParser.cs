using System.Diagnostics.CodeAnalysis;

namespace Mesh.XdsServer.Identity;

/// <summary>
/// Reads a connected proxy's identity from Envoy's <c>node.id</c> by the model's rules (<see cref="NodeId"/>): a
/// short-form id belongs to this installation's account (<c>Mesh:AccountId</c>), which this parser carries.
/// </summary>
public sealed class ProxyIdentityParser(string defaultAccountId)
{
    public bool TryParse(string? nodeId, [NotNullWhen(true)] out ProxyIdentity? identity, [NotNullWhen(false)] out string? error)
    {
        if (!NodeId.TryParse(nodeId, out var node, out error))
        {
            identity = null;
            return false;
        }

        identity = node.ToIdentity(defaultAccountId);
        return true;
    }
}
