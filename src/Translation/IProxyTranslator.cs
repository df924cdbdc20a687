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
}
