using Mesh.Model.Graph;

namespace Mesh.Translation;

/// <summary>
/// What the xDS server asks of translation: everything one proxy identity (a virtual node or a virtual gateway)
/// is served, on-demand resources included. <see cref="MeshTranslator"/> is the implementation; the interface
/// exists so that tests can wrap it (delay it, break its output) and watch the server cope.
/// </summary>
public interface IProxyTranslator
{
    ProxyResources TranslateProxy(MeshGraph graph, ProxyTarget target);

    /// <summary>
    /// Told, before the identities of a changed mesh are translated from <paramref name="new"/>, what it changed
    /// from, so that what the change cannot affect may be reused rather than translated again. Reusing must give
    /// exactly what translating again gives; doing nothing is always right.
    /// </summary>
    void MeshChanged(MeshGraph old, MeshGraph @new, MeshGraphDiff diff)
    {
    }
}
