using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Mesh.Model.Graph;
using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>
/// Turns a mesh graph into the Envoy v3 resources one client needs: an Envoy sidecar of a virtual node, an Envoy
/// of a virtual gateway, or a proxyless gRPC client. Pure and deterministic: no I/O, no clock, no randomness; the
/// same graph and target always give equal messages in the same order. Thread-safe.
/// </summary>
public sealed class MeshTranslator(TranslatorOptions? options = null) : IProxyTranslator
{
    private readonly TranslatorOptions _options = options ?? TranslatorOptions.Default;

    // A proxyless name's translation depends on the graph and the name alone, and every node calling a service
    // offers the same names for it; a sidecar's egress routes and clusters depend on the graph and the node's
    // backends alone, and client nodes mostly call the same services. Both are kept per graph (for as long as the
    // graph lives, so a new graph never sees an old one's): a change translates each once rather than once per
    // identity, and the identities share the messages (serialised once, by reference).
    private readonly ConditionalWeakTable<MeshGraph, Shared> _shared = new();

    /// <summary>
    /// Everything one proxy identity is served: for a virtual node, its sidecar configuration plus, on demand, the
    /// proxyless listeners of its backends (so that a proxyless gRPC client with the node's identity can dial any
    /// of them, see <see cref="ProxylessOnDemand"/>); for anything else, <see cref="Translate"/>. The proxyless
    /// part is translated once per graph and shared by every identity's result: treat the messages as read-only.
    /// </summary>
    public ProxyResources TranslateProxy(MeshGraph graph, ProxyTarget target)
    {
        if (target.Kind != ProxyTargetKind.VirtualNode || graph.FindVirtualNode(target.Name) is not { } node)
        {
            return Translate(graph, target);
        }

        // Nodes with the same egress routing dial the same proxyless names: merged onto it once per graph, then
        // each node's own resources joined to that, when doing so gives exactly what merging name by name gives.
        var shared = SharedOf(graph);
        var egress = EgressRouting.For(shared.Egress, graph, _options, node);
        if (egress.Resources.Warnings.Count == 0)
        {
            // The bundle holds the node's gRPC servers' listeners too, which only its ports and own address decide (in its key).
            var bundle = shared.Bundles.GetOrBuild(
                ProxylessServers.BundleKeyOf(node),
                static a => ProxylessOnDemand.BundleFor(a.Egress, ProxylessOnDemand.NamesFor(a.Graph, a.Node), ProxylessServers.ListenersOf(a.Node), name => a.Translator.Proxyless(a.Graph, name)),
                (Translator: this, Egress: egress, Graph: graph, Node: node));
            if (ReferenceEquals(bundle.Egress, egress) && ProxylessOnDemand.TryJoin(Own(shared, graph, node, egress), bundle, ProxylessServers.WarningsOf(node)) is { } joined)
            {
                return joined;
            }
        }

        return ProxylessOnDemand.AddTo(Translate(graph, target), graph, target.Name, name => Proxyless(graph, name));
    }

    /// <summary>
    /// Gives <paramref name="new"/> what of <paramref name="old"/>'s translations the change cannot affect: the
    /// proxyless translations and the egress routing's parts per backend service (<see cref="BackendRouting"/>), by
    /// what the service reads (<see cref="ProxyDependencies"/>), and the sidecars' own resources of the nodes it did
    /// not touch. A route change makes a new graph, and every affected identity had its own listeners, ingress route
    /// and local cluster, every backend's proxyless names and every backend's routes and clusters translated afresh,
    /// though one service changed. The messages carried are the very objects the last change's snapshots hold, so
    /// they are not serialised again either.
    /// </summary>
    public void MeshChanged(MeshGraph old, MeshGraph @new, MeshGraphDiff diff)
    {
        if (diff.Everything || !_shared.TryGetValue(old, out var before))
        {
            return;
        }

        var after = SharedOf(@new);
        foreach (var (key, resources) in before.Proxyless)
        {
            // The client policy in the key is the clients' own, which the diff cannot change under the same key.
            if (!ProxyDependencies.Affected(diff, old, @new, ProxyTarget.Proxyless(key.Name)))
            {
                after.Proxyless.TryAdd(key, resources);
            }
        }

        // A backend's part of the egress routing reads what the service's proxyless translation reads (the routes and
        // clusters of the same provider, in the sidecar's flavour) and its client policy, which is in its key.
        foreach (var (key, backend) in before.Egress.Backends)
        {
            if (!ProxyDependencies.Affected(diff, old, @new, ProxyTarget.Proxyless(backend.Service)))
            {
                after.Egress.Backends.TryAdd(key, backend);
            }
        }

        // A sidecar's own resources read the node and the mesh (unchanged unless the diff says so; the mesh's change is
        // Everything) and their egress routing's listener inputs, which Own compares when it uses them.
        foreach (var (name, own) in before.Own)
        {
            if (!diff.Touches(GraphResourceKey.VirtualNode(name)))
            {
                after.Own.TryAdd(name, own);
            }
        }
    }

    /// <summary>
    /// The node's own resources (<see cref="SidecarTranslator.TranslateOwn"/>): carried from the previous graph when
    /// the node is unchanged and its new routing gives the egress listener the same inputs, else translated.
    /// </summary>
    private ProxyResources Own(Shared shared, MeshGraph graph, MeshResource<Specs.VirtualNodeSpec> node, EgressRouting egress)
    {
        if (shared.Own.TryGetValue(node.Name, out var kept) && kept.BuiltOn.SameAs(egress.Listener))
        {
            return kept.Resources;
        }

        var context = new TranslationContext(graph, _options, shared.Egress);
        SidecarTranslator.TranslateOwn(context, node, egress);
        var own = new OwnResources(egress.Listener, context.ToResources());
        shared.Own[node.Name] = own;
        return own.Resources;
    }

    /// <summary>
    /// A proxyless name translated for clients reaching its backend with that backend's client policy, once per graph
    /// for every node whose backend has the same policy (the backend's key holds it).
    /// </summary>
    private ProxyResources Proxyless(MeshGraph graph, ProxylessOnDemand.DialName name) =>
        SharedOf(graph).Proxyless.GetOrAdd((name.Name, name.Backend.Key), static (_, a) => a.Translator.TranslateProxyless(a.Graph, a.Name.Name, a.Name.Backend.Policy), (Translator: this, Graph: graph, Name: name));

    /// <summary>
    /// Proxyless listener <paramref name="name"/> as a client whose client policy for its service is
    /// <paramref name="clientPolicy"/> is served it (without the sharing <see cref="TranslateProxy"/> does).
    /// </summary>
    public ProxyResources TranslateProxyless(MeshGraph graph, string name, Specs.ClientPolicy? clientPolicy)
    {
        var context = new TranslationContext(graph, _options, SharedOf(graph).Egress);
        ProxylessTranslator.Translate(context, name, clientPolicy);
        return context.ToResources();
    }

    private Shared SharedOf(MeshGraph graph) => _shared.GetValue(graph, _ => new Shared());

    /// <summary>The configuration of one target as its golden files show it (no on-demand listeners).</summary>
    public ProxyResources Translate(MeshGraph graph, ProxyTarget target)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(target);
        var context = new TranslationContext(graph, _options, SharedOf(graph).Egress);
        switch (target.Kind)
        {
            case ProxyTargetKind.VirtualNode:
                if (graph.FindVirtualNode(target.Name) is { } node)
                {
                    SidecarTranslator.Translate(context, node);
                }
                else
                {
                    context.Warn(WarningKind.MissingResource, $"virtualNode/{target.Name} does not exist in mesh {graph.MeshName}");
                }

                break;
            case ProxyTargetKind.VirtualGateway:
                if (graph.FindVirtualGateway(target.Name) is { } gateway)
                {
                    GatewayTranslator.Translate(context, gateway);
                }
                else
                {
                    context.Warn(WarningKind.MissingResource, $"virtualGateway/{target.Name} does not exist in mesh {graph.MeshName}");
                }

                break;
            default:
                foreach (var name in target.ListenerNames)
                {
                    ProxylessTranslator.Translate(context, name, null);
                }

                break;
        }

        return context.ToResources();
    }

    /// <summary>
    /// What the identities of one graph share: proxyless translations by name, egress routings (and their backends'
    /// parts) by key; and, by node name, each sidecar's own resources, kept so that the next graph can carry them.
    /// </summary>
    private sealed class Shared
    {
        public ConcurrentDictionary<string, OwnResources> Own { get; } = new(StringComparer.Ordinal);

        /// <summary>By name and the key of the backend it was translated for (<see cref="EgressBackend.Key"/>: service and client policy).</summary>
        public ConcurrentDictionary<(string Name, string BackendKey), ProxyResources> Proxyless { get; } = new();

        public SharedEgress Egress { get; } = new();

        /// <summary>By the same key as <see cref="SharedEgress.Routings"/>: that routing with its nodes' proxyless names merged.</summary>
        public ConcurrentDictionary<string, Lazy<ProxylessOnDemand.Bundle>> Bundles { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>A sidecar's own resources and the egress listener inputs they were translated with.</summary>
    private sealed record OwnResources(EgressListenerInputs BuiltOn, ProxyResources Resources);
}
