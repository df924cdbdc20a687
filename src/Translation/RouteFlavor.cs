using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>
/// What differs between the clients that reach a service: proxyless gRPC (TLS from certificate providers only, no health checks, EDS or
/// LOGICAL_DNS only, max_stream_duration), the client policy that applies, and a gateway listener's pool.
/// <paramref name="OwnPolicy"/> says the policy is the backend's own rather than backend defaults: only a policy
/// written for this one backend is wrong when its TLS ports name none of the backend's listeners (defaults are meant
/// to apply to some backends' ports and not others).
/// </summary>
internal sealed record RouteFlavor(bool Proxyless, Specs.ClientPolicy? ClientPolicy, Specs.VirtualGatewayConnectionPool? GatewayPool, bool OwnPolicy = false);
