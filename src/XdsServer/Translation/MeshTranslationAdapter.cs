using Google.Protobuf;
using Mesh.Model.Graph;
using Mesh.Translation;
using Mesh.XdsServer.Identity;
using Full = Mesh.Translation;

namespace Mesh.XdsServer.Translation;

/// <summary>
/// Puts the full App Mesh translation (<see cref="Full.MeshTranslator"/>, issue 4) behind <see cref="IMeshTranslator"/>.
/// A proxy's snapshot is its sidecar or gateway configuration, plus, for a virtual node, the proxyless listeners
/// of its backends (<c>vs</c> and <c>vs:port</c>) as on-demand resources, so that a proxyless gRPC client with the
/// node's identity can dial any of them. A proxyless name whose resources would clash with the sidecar's (same
/// name, different content) is left out rather than let it break the whole snapshot.
/// </summary>
public sealed class MeshTranslationAdapter(Full.MeshTranslator translator) : IMeshTranslator
{
    public ProxyResources Translate(MeshGraph mesh, ProxyIdentity proxy)
    {
        var target = proxy.Kind == ProxyKind.VirtualNode ? ProxyTarget.VirtualNode(proxy.Name) : ProxyTarget.VirtualGateway(proxy.Name);
        var main = translator.Translate(mesh, target);
        var merged = new Merged(main);
        if (proxy.Kind == ProxyKind.VirtualNode)
        {
            foreach (var name in ProxylessNames(mesh, proxy.Name))
            {
                merged.TryAddProxyless(translator.Translate(mesh, ProxyTarget.Proxyless(name)));
            }
        }

        return merged.ToResources();
    }

    /// <summary>Every name a client of this node may dial: each backend service, alone and with each provider port.</summary>
    private static IEnumerable<string> ProxylessNames(MeshGraph mesh, string nodeName)
    {
        var backends = mesh.FindVirtualNode(nodeName)?.Spec.Backends ?? [];
        foreach (var service in backends.Select(b => b.VirtualService?.VirtualServiceName).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            yield return service;
            var provider = mesh.ProviderOf(service);
            var ports = provider?.VirtualNode?.Spec.Listeners?.Select(l => l.PortMapping.Port)
                ?? provider?.VirtualRouter?.Spec.Listeners?.Select(l => l.PortMapping.Port)
                ?? [];
            foreach (var port in ports.Distinct().Order())
            {
                yield return $"{service}:{port}";
            }
        }
    }

    private sealed class Merged(Full.ProxyResources main)
    {
        private readonly List<Envoy.Config.Listener.V3.Listener> _onDemand = [];
        private readonly Dictionary<string, IMessage> _routes = main.RouteConfigurations.ToDictionary(r => r.Name, r => (IMessage)r);
        private readonly Dictionary<string, IMessage> _clusters = main.Clusters.ToDictionary(c => c.Name, c => (IMessage)c);
        private readonly Dictionary<string, IMessage> _endpoints = main.ClusterLoadAssignments.ToDictionary(e => e.ClusterName, e => (IMessage)e);
        private readonly Dictionary<string, IMessage> _secrets = main.Secrets.ToDictionary(s => s.Name, s => (IMessage)s);
        private readonly SortedSet<string> _warnings = new(main.Warnings, StringComparer.Ordinal);

        public void TryAddProxyless(Full.ProxyResources extra)
        {
            if (extra.Listeners.Count == 0
                || Clashes(_routes, extra.RouteConfigurations.Select(r => (r.Name, (IMessage)r)))
                || Clashes(_clusters, extra.Clusters.Select(c => (c.Name, (IMessage)c)))
                || Clashes(_endpoints, extra.ClusterLoadAssignments.Select(e => (e.ClusterName, (IMessage)e)))
                || Clashes(_secrets, extra.Secrets.Select(s => (s.Name, (IMessage)s))))
            {
                return;
            }

            _onDemand.AddRange(extra.Listeners);
            _warnings.UnionWith(extra.Warnings);
            Add(_routes, extra.RouteConfigurations.Select(r => (r.Name, (IMessage)r)));
            Add(_clusters, extra.Clusters.Select(c => (c.Name, (IMessage)c)));
            Add(_endpoints, extra.ClusterLoadAssignments.Select(e => (e.ClusterName, (IMessage)e)));
            Add(_secrets, extra.Secrets.Select(s => (s.Name, (IMessage)s)));
        }

        public ProxyResources ToResources() => new()
        {
            Listeners = main.Listeners,
            OnDemandListeners = [.. _onDemand.DistinctBy(l => l.Name).OrderBy(l => l.Name, StringComparer.Ordinal)],
            Routes = [.. Sorted(_routes).Cast<Envoy.Config.Route.V3.RouteConfiguration>()],
            Clusters = [.. Sorted(_clusters).Cast<Envoy.Config.Cluster.V3.Cluster>()],
            Endpoints = [.. Sorted(_endpoints).Cast<Envoy.Config.Endpoint.V3.ClusterLoadAssignment>()],
            Secrets = [.. Sorted(_secrets).Cast<Envoy.Extensions.TransportSockets.Tls.V3.Secret>()],
            Warnings = [.. _warnings],
        };

        private static bool Clashes(Dictionary<string, IMessage> have, IEnumerable<(string Name, IMessage Message)> more) =>
            more.Any(m => have.TryGetValue(m.Name, out var existing) && !existing.Equals(m.Message));

        private static void Add(Dictionary<string, IMessage> have, IEnumerable<(string Name, IMessage Message)> more)
        {
            foreach (var (name, message) in more)
            {
                have.TryAdd(name, message);
            }
        }

        private static IEnumerable<IMessage> Sorted(Dictionary<string, IMessage> items) =>
            items.OrderBy(i => i.Key, StringComparer.Ordinal).Select(i => i.Value);
    }
}
