using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;

namespace Mesh.XdsServer.Translation;

/// <summary>
/// Every Envoy resource one proxy identity should have, as typed messages. The snapshot builder serialises,
/// versions and checks them; a translator only has to say what they are.
/// </summary>
public sealed record ProxyResources
{
    public static ProxyResources Empty { get; } = new();

    /// <summary>Listeners every client gets, including a wildcard (LDS with no names) subscriber such as Envoy.</summary>
    public IReadOnlyList<Listener> Listeners { get; init; } = [];

    /// <summary>
    /// Listeners sent only to a client that names them: proxyless gRPC asks for <c>xds:///NAME</c> as Listener
    /// <c>NAME</c> and needs an api_listener, which an Envoy must never receive.
    /// </summary>
    public IReadOnlyList<Listener> OnDemandListeners { get; init; } = [];

    public IReadOnlyList<RouteConfiguration> Routes { get; init; } = [];

    public IReadOnlyList<Cluster> Clusters { get; init; } = [];

    public IReadOnlyList<ClusterLoadAssignment> Endpoints { get; init; } = [];

    public IReadOnlyList<Secret> Secrets { get; init; } = [];

    /// <summary>
    /// What the translation could not express and left out (an unknown Cloud Map service, a certificate that cannot
    /// be served, …), sorted. The cache logs and counts them and proxy-status shows them; they never block a snapshot.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
