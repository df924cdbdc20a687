using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;

namespace Mesh.Translation;

/// <summary>
/// Everything one proxy needs, each list sorted by resource name (ordinal) so the output is deterministic.
/// The messages are built for the caller but may be shared with other identities' translations of the same graph
/// (see <see cref="MeshTranslator.TranslateProxy"/>): read them, never change them. <see cref="Warnings"/> lists the parts of the mesh
/// that could not be expressed and were left out (sorted, de-duplicated); <see cref="ProxylessWarnings"/> those only
/// gRPC clients and servers miss. The xDS server serves this record as
/// it is: it only serialises, versions and interns it.
/// </summary>
public sealed record ProxyResources(
    IReadOnlyList<Listener> Listeners,
    IReadOnlyList<RouteConfiguration> RouteConfigurations,
    IReadOnlyList<Cluster> Clusters,
    IReadOnlyList<ClusterLoadAssignment> ClusterLoadAssignments,
    IReadOnlyList<Secret> Secrets,
    IReadOnlyList<TranslationWarning> Warnings)
{
    public static ProxyResources Empty { get; } = new([], [], [], [], [], []);

    /// <summary>
    /// Listeners sent only to a client that names them, never to a wildcard (LDS with no names) subscriber such as
    /// Envoy: a proxyless gRPC client asks for <c>xds:///NAME</c> as Listener <c>NAME</c> and needs an api_listener,
    /// which an Envoy must never receive. Filled by <see cref="MeshTranslator.TranslateProxy"/> (sorted by name).
    /// </summary>
    public IReadOnlyList<Listener> OnDemandListeners { get; init; } = [];

    /// <summary>
    /// Clusters only the on-demand (proxyless) listeners' routes use, sent only to a client that names them: a
    /// proxyless gRPC client asks CDS by name, while an Envoy subscribes to CDS as a wildcard and would otherwise get
    /// a second, unused cluster per backend. Filled by <see cref="MeshTranslator.TranslateProxy"/> (sorted by name).
    /// </summary>
    public IReadOnlyList<Cluster> OnDemandClusters { get; init; } = [];

    /// <summary>
    /// What the identity's proxyless gRPC clients and xDS-enabled gRPC servers miss of the mesh (sorted,
    /// de-duplicated): kept apart from <see cref="Warnings"/>, which is what its Envoy misses, since most identities
    /// are Envoys only and a note about gRPC's limits is noise to them. The xDS server shows these to gRPC streams.
    /// </summary>
    public IReadOnlyList<TranslationWarning> ProxylessWarnings { get; init; } = [];

    /// <summary>
    /// The parts a virtual node's translation was joined from, when it was (see <see cref="ProxyResourceParts"/>):
    /// the server checks and packs the shared part once for every node that shares it. Read it through
    /// <see cref="ProxyResourceParts.Of"/>, which refuses a copy whose lists were replaced.
    /// </summary>
    public ProxyResourceParts? Parts { get; init; }
}
