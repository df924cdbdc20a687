using Mesh.Model.Graph;

namespace Mesh.Translation;

/// <summary>
/// Turns a mesh graph into the Envoy v3 resources one client needs: an Envoy sidecar of a virtual node, an Envoy
/// of a virtual gateway, or a proxyless gRPC client. Pure and deterministic: no I/O, no clock, no randomness; the
/// same graph and target always give equal messages in the same order. Thread-safe.
/// </summary>
public sealed class MeshTranslator(TranslatorOptions? options = null)
{
    private readonly TranslatorOptions _options = options ?? TranslatorOptions.Default;

    public ProxyResources Translate(MeshGraph graph, ProxyTarget target)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(target);
        var context = new TranslationContext(graph, _options);
        switch (target.Kind)
        {
            case ProxyTargetKind.VirtualNode:
                if (graph.FindVirtualNode(target.Name) is { } node)
                {
                    SidecarTranslator.Translate(context, node);
                }
                else
                {
                    context.Warn($"virtualNode/{target.Name} does not exist in mesh {graph.MeshName}");
                }

                break;
            case ProxyTargetKind.VirtualGateway:
                if (graph.FindVirtualGateway(target.Name) is { } gateway)
                {
                    GatewayTranslator.Translate(context, gateway);
                }
                else
                {
                    context.Warn($"virtualGateway/{target.Name} does not exist in mesh {graph.MeshName}");
                }

                break;
            default:
                foreach (var name in target.ListenerNames)
                {
                    ProxylessTranslator.Translate(context, name);
                }

                break;
        }

        return context.ToResources();
    }
}
