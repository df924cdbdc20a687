using Mesh.Model.Graph;
using Mesh.Model.Resources;

namespace Mesh.Model.Identity;

/// <summary>The App Mesh resource a proxy stands for: the two <see cref="ResourceKind"/>s that run an Envoy.</summary>
public enum ProxyKind
{
    VirtualNode,
    VirtualGateway,
}

public static class ProxyKinds
{
    public static ResourceKind ToResourceKind(this ProxyKind kind) =>
        kind == ProxyKind.VirtualNode ? ResourceKind.VirtualNode : ResourceKind.VirtualGateway;

    /// <summary>The kind as App Mesh spells it in ARNs and node ids: <c>virtualNode</c> or <c>virtualGateway</c>.</summary>
    public static string WireName(this ProxyKind kind) => kind.ToResourceKind().WireName;

    /// <summary>The kind in snake case, as in the stats tags <c>appmesh.virtual_node</c> / <c>appmesh.virtual_gateway</c>.</summary>
    public static string SnakeName(this ProxyKind kind) => kind == ProxyKind.VirtualNode ? "virtual_node" : "virtual_gateway";

    /// <summary>The proxy kind a resource kind's wire name stands for; null for kinds that run no proxy.</summary>
    public static ProxyKind? FromWireName(string wireName) => wireName switch
    {
        MeshResourceKinds.VirtualNode => ProxyKind.VirtualNode,
        MeshResourceKinds.VirtualGateway => ProxyKind.VirtualGateway,
        _ => null,
    };
}
