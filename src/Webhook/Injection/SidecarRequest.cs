using Mesh.Model.Identity;
using Mesh.Bootstrap;

namespace Mesh.Webhook.Injection;

/// <summary>What one pod asked for, read from its annotations and checked: everything the patch is built from.</summary>
public sealed record SidecarRequest
{
    public required NodeId Resource { get; init; }

    /// <summary>Inbound ports redirected to Envoy's ingress listener (none for a gateway).</summary>
    public required IReadOnlyList<int> ApplicationPorts { get; init; }

    public required IReadOnlyList<int> EgressIgnoredPorts { get; init; }

    public required IReadOnlyList<string> EgressIgnoredIps { get; init; }

    public required string CpuRequest { get; init; }

    public required string MemoryRequest { get; init; }

    public required string CredentialsSecret { get; init; }

    /// <summary>Proxyless gRPC applications (<see cref="Annotations.Proxyless"/>): a bootstrap each, no Envoy, no redirection.</summary>
    public bool Proxyless { get; init; }

    /// <summary>The Envoy-only annotations a proxyless pod set, which do nothing there (<see cref="Annotations.EnvoyOnly"/>).</summary>
    public IReadOnlyList<string> IgnoredAnnotations { get; init; } = [];

    /// <summary>A gateway pod is its Envoy's own workload: it gets the sidecar but no traffic redirection.</summary>
    public bool Redirects => Resource.Kind == ProxyKind.VirtualNode && !Proxyless;
}
