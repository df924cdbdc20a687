using Mesh.Security;
using Mesh.XdsServer.Identity;

namespace Mesh.XdsServer.Auth;

/// <summary>Who an xDS call proved to be: it decides which nodes the call may act for.</summary>
public abstract class ProxyPrincipal
{
    /// <summary>For logs and messages: the access key id or the certificate subject, never a secret.</summary>
    public abstract string Name { get; }

    /// <summary>Null when <paramref name="action"/> on <paramref name="node"/> is allowed; otherwise why not.</summary>
    public abstract string? Deny(string action, ProxyIdentity node);

    /// <summary>The full ARN of a node or gateway, as policies name it.</summary>
    public static string ArnOf(ProxyIdentity node, string region) => node.ToArn(region);
}

/// <summary><c>Xds:Auth:Mode=None</c>: anything goes.</summary>
public sealed class AnonymousPrincipal : ProxyPrincipal
{
    public static AnonymousPrincipal Instance { get; } = new();

    public override string Name => "anonymous";

    public override string? Deny(string action, ProxyIdentity node) => null;
}

/// <summary>A SigV4 access key: its account must own the node's mesh, and its policy must allow the action on the node's ARN.</summary>
public sealed class AccessKeyPrincipal(ActiveKey key, string region) : ProxyPrincipal
{
    public ActiveKey Key { get; } = key;

    public override string Name => Key.AccessKeyId;

    public override string? Deny(string action, ProxyIdentity node)
    {
        if (node.Mesh.AccountId != Key.AccountId)
        {
            return $"access key {Key.AccessKeyId} belongs to account {Key.AccountId}; {node.ShortForm} is in account {node.Mesh.AccountId}";
        }

        var arn = ArnOf(node, region);
        return Key.Policy.Allows(action, arn) ? null : $"access key {Key.AccessKeyId} is not allowed {action} on {arn}";
    }
}

/// <summary>A client certificate: it may act only for the nodes its URI SANs name, and only as a proxy (stream and status).</summary>
public sealed class CertificatePrincipal(string subject, IReadOnlyList<ProxyIdentity> nodes) : ProxyPrincipal
{
    public IReadOnlyList<ProxyIdentity> Nodes { get; } = nodes;

    public override string Name => subject;

    public override string? Deny(string action, ProxyIdentity node)
    {
        if (action is not (ProxyActions.StreamAggregatedResources or ProxyActions.DescribeProxyStatus))
        {
            return $"a client certificate does not allow {action}";
        }

        return Nodes.Contains(node)
            ? null
            : $"the client certificate ({subject}) names {string.Join(", ", Nodes.Select(n => n.ToString()))}, not {node}";
    }
}
