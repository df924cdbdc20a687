using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>
/// What differs between the clients that reach a service: proxyless gRPC (TLS from certificate providers only, no health checks, EDS or
/// LOGICAL_DNS only, max_stream_duration), the client policy that applies, and a gateway listener's pool.
/// </summary>
internal sealed record RouteFlavor(bool Proxyless, Specs.ClientPolicy? ClientPolicy, Specs.VirtualGatewayConnectionPool? GatewayPool);
