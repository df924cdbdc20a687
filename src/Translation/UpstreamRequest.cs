using Mesh.Model.Graph;
using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>What <see cref="Clusters.Upstream"/> needs to build one <c>cds_egress_*</c> cluster.</summary>
/// <param name="Unreachable">
/// What the caller's requests get when the node cannot be reached, naming the ports with
/// <see cref="TranslationContext.Ports"/>; said in the one warning that says why (null: the caller says it itself).
/// </param>
internal sealed record UpstreamRequest(
    MeshResource<Specs.VirtualNodeSpec> Node,
    Specs.Listener Listener,
    Specs.ClientPolicy? ClientPolicy,
    bool OwnClientPolicy,
    bool Proxyless,
    Specs.VirtualGatewayConnectionPool? GatewayPool,
    string Where,
    string? Unreachable = null)
{
    /// <summary>The request of a client of <paramref name="flavor"/> for <paramref name="node"/>'s <paramref name="listener"/>.</summary>
    public static UpstreamRequest Of(MeshResource<Specs.VirtualNodeSpec> node, Specs.Listener listener, RouteFlavor flavor, string where) =>
        new(node, listener, flavor.ClientPolicy, flavor.OwnPolicy, flavor.Proxyless, flavor.GatewayPool, where);
}
