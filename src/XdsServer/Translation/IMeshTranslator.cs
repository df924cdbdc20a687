using Mesh.Model.Graph;
using Mesh.XdsServer.Identity;

namespace Mesh.XdsServer.Translation;

/// <summary>
/// Turns one mesh into the Envoy resources of one proxy. Implementations are pure: no I/O, no clock, no
/// randomness, and the same input always gives the same output in the same order, because resource versions are
/// hashes of the output and must agree across restarts and replicas.
/// </summary>
/// <remarks>
/// Called only when the proxy's own virtual node or virtual gateway exists in <paramref name="mesh"/>. Throw
/// <see cref="TranslationException"/> for a configuration that cannot be expressed; the proxy then keeps its last
/// good snapshot. Cross-resource references (every RDS name in a listener, every EDS name in a cluster) are
/// checked by the snapshot builder after translation, so a translator bug cannot ship a half-built config.
/// </remarks>
public interface IMeshTranslator
{
    ProxyResources Translate(MeshGraph mesh, ProxyIdentity proxy);
}
