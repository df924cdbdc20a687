using Envoy.Config.Listener.V3;
using Google.Protobuf;
using Mesh.Model.Graph;

namespace Mesh.Translation;

/// <summary>
/// Which proxyless names a virtual node's identity may dial, and how their resources join the sidecar's: each
/// backend service alone and with each provider port (<c>vs</c>, <c>vs:port</c>), as on-demand listeners (and the
/// clusters only they use, as on-demand clusters), with the listeners its xDS-enabled gRPC servers ask for
/// (<see cref="ProxylessServers"/>). A
/// proxyless name whose resources would clash with the sidecar's (same name, different content) is left out
/// rather than let it break the whole configuration.
/// </summary>
internal static class ProxylessOnDemand
{
    public static ProxyResources AddTo(ProxyResources sidecar, MeshGraph graph, string nodeName, Func<DialName, ProxyResources> translateProxyless)
    {
        var merged = new Merged(sidecar);
        if (graph.FindVirtualNode(nodeName) is { } node)
        {
            foreach (var name in NamesFor(graph, node))
            {
                merged.TryAdd(translateProxyless(name));
            }

            merged.AddServers(ProxylessServers.ListenersOf(node), ProxylessServers.WarningsOf(node));
        }

        return merged.ToResources();
    }

    /// <summary>
    /// The proxyless names of a node's backends merged, once, onto its shared egress routing (whose key fixes the
    /// backends, hence the names), with the listeners of its gRPC servers, <paramref name="servers"/>
    /// (<see cref="ProxylessServers"/>; part of the bundle's key): what every node with that routing and those ports
    /// would get from <see cref="AddTo"/> but for its own resources (<see cref="TryJoin"/> adds those).
    /// </summary>
    public static Bundle BundleFor(EgressRouting egress, IEnumerable<DialName> names, IEnumerable<Listener> servers, Func<DialName, ProxyResources> translateProxyless)
    {
        var merged = new Merged(egress.Resources);
        var touched = new Touched();
        touched.Add(egress.Resources);
        foreach (var name in names)
        {
            var proxyless = translateProxyless(name);
            touched.Add(proxyless);
            merged.TryAdd(proxyless);
        }

        merged.AddServers(servers, []);
        return new Bundle(egress, merged.ToResources(), touched);
    }

    /// <summary>
    /// <see cref="AddTo"/> of the sidecar whose own resources (<see cref="SidecarTranslator.TranslateOwn"/>) are
    /// <paramref name="own"/> and whose egress routing is the bundle's, from the bundle instead of merging every
    /// proxyless name again; null when that would not give exactly what <see cref="AddTo"/> gives, which is when the
    /// routing has warnings, or when one of the node's own resources shares a name with anything the bundle looked at
    /// (the routing's, or any proxyless name's: a clash there decides which is kept and which names are left out).
    /// <paramref name="serverWarnings"/> are the node's own (<see cref="ProxylessServers.WarningsOf"/>), which no bundle holds.
    /// Otherwise the sidecar is the node's own resources and the routing's, disjoint, and the clash decisions only ever
    /// compared the routing's and the proxyless resources, which the bundle made already: the result is the node's
    /// own resources joined to the bundle's.
    /// </summary>
    public static ProxyResources? TryJoin(ProxyResources own, Bundle bundle, IReadOnlyList<TranslationWarning> serverWarnings)
    {
        var touched = bundle.Touched;
        if (bundle.Egress.Resources.Warnings.Count > 0
            || Touches(own.RouteConfigurations, static r => r.Name, touched.Routes)
            || Touches(own.Clusters, static c => c.Name, touched.Clusters)
            || Touches(own.ClusterLoadAssignments, static e => e.ClusterName, touched.Endpoints)
            || Touches(own.Secrets, static s => s.Name, touched.Secrets))
        {
            return null;
        }

        // The node's warnings are sorted and distinct already (its translation's set), and nearly always the only ones;
        // the bundle's (its routing has none, or it would not be joined) are the proxyless names'.
        var warnings = bundle.Merged.Warnings;
        var proxyless = bundle.Merged.ProxylessWarnings;
        return ProxyResourceParts.Join(
            own,
            bundle.Shared,
            warnings.Count == 0 ? own.Warnings : [.. own.Warnings.Union(warnings).Order()],
            serverWarnings.Count == 0 ? proxyless : [.. proxyless.Union(serverWarnings).Order()]);
    }

    private static bool Touches<T>(IReadOnlyList<T> own, Func<T, string> nameOf, HashSet<string> touched)
    {
        foreach (var item in own)
        {
            if (touched.Contains(nameOf(item)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>What <see cref="BundleFor"/> made: the routing it started from, the merged result, the names it compared.</summary>
    internal sealed record Bundle(EgressRouting Egress, ProxyResources Merged, Touched Touched)
    {
        /// <summary>What <see cref="TryJoin"/> takes of <see cref="Merged"/>: all but its listeners (the node's own are joined instead).</summary>
        public ProxyResources Shared { get; } = Merged with { Listeners = [], Warnings = [], ProxylessWarnings = [] };
    }

    /// <summary>Every resource name, by type, that a bundle's merge looked up or added (left out names' too).</summary>
    internal sealed class Touched
    {
        public HashSet<string> Routes { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Clusters { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Endpoints { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Secrets { get; } = new(StringComparer.Ordinal);

        public void Add(ProxyResources resources)
        {
            Routes.UnionWith(resources.RouteConfigurations.Select(r => r.Name));
            Clusters.UnionWith(resources.Clusters.Select(c => c.Name));
            Endpoints.UnionWith(resources.ClusterLoadAssignments.Select(e => e.ClusterName));
            Secrets.UnionWith(resources.Secrets.Select(s => s.Name));
        }
    }

    /// <summary>
    /// Every name a proxyless client with this node's identity may dial, sorted, each with the backend it reaches: its
    /// clusters follow that backend's client policy (<see cref="ProxylessTranslator.Translate"/>).
    /// </summary>
    public static IEnumerable<DialName> NamesFor(MeshGraph graph, MeshResource<Model.Specs.VirtualNodeSpec> node)
    {
        foreach (var backend in EgressRouting.Backends(node))
        {
            yield return new DialName(backend.Service, backend);
            var provider = graph.ProviderOf(backend.Service);
            var ports = provider?.VirtualNode?.Spec.Listeners?.Select(l => l.PortMapping.Port)
                ?? provider?.VirtualRouter?.Spec.Listeners?.Select(l => l.PortMapping.Port)
                ?? [];
            foreach (var port in ports.Distinct().Order())
            {
                yield return new DialName($"{backend.Service}:{port}", backend);
            }
        }
    }

    /// <summary>A proxyless listener name a node may dial, and the backend (service and client policy) it stands for.</summary>
    internal readonly record struct DialName(string Name, EgressBackend Backend);

    private sealed class Merged(ProxyResources sidecar)
    {
        private readonly List<Listener> _onDemand = [];
        private readonly SortedDictionary<string, IMessage> _routes = ByName(sidecar.RouteConfigurations.Select(r => (r.Name, (IMessage)r)));
        private readonly SortedDictionary<string, IMessage> _clusters = ByName(sidecar.Clusters.Select(c => (c.Name, (IMessage)c)));
        private readonly SortedDictionary<string, IMessage> _onDemandClusters = new(StringComparer.Ordinal);
        private readonly SortedDictionary<string, IMessage> _endpoints = ByName(sidecar.ClusterLoadAssignments.Select(e => (e.ClusterName, (IMessage)e)));
        private readonly SortedDictionary<string, IMessage> _secrets = ByName(sidecar.Secrets.Select(s => (s.Name, (IMessage)s)));
        private readonly SortedSet<TranslationWarning> _warnings = new(sidecar.Warnings);
        private readonly SortedSet<TranslationWarning> _proxylessWarnings = new(sidecar.ProxylessWarnings);

        public void TryAdd(ProxyResources proxyless)
        {
            var routes = proxyless.RouteConfigurations.Select(r => (r.Name, (IMessage)r)).ToList();
            var clusters = proxyless.Clusters.Select(c => (c.Name, (IMessage)c)).ToList();
            var endpoints = proxyless.ClusterLoadAssignments.Select(e => (e.ClusterName, (IMessage)e)).ToList();
            var secrets = proxyless.Secrets.Select(s => (s.Name, (IMessage)s)).ToList();
            if (proxyless.Listeners.Count == 0)
            {
                return;
            }

            if ((Clash(_routes, routes) ?? Clash(_clusters, clusters) ?? Clash(_onDemandClusters, clusters) ?? Clash(_endpoints, endpoints) ?? Clash(_secrets, secrets)) is { } clash)
            {
                // Never silently: a client dialing this name is told it does not exist, and the node's status says why.
                _proxylessWarnings.Add(new TranslationWarning(WarningKind.Conflict, $"proxyless listener '{proxyless.Listeners[0].Name}': left out for proxyless gRPC clients: its {clash.Message.Descriptor.Name} '{clash.Name}' differs from the one of the same name already in the configuration"));
                return;
            }

            _onDemand.AddRange(proxyless.Listeners);
            _proxylessWarnings.UnionWith(proxyless.Warnings);
            Add(_routes, routes);
            // A cluster the sidecar has too is already sent to everyone; the others only to clients that name them.
            Add(_onDemandClusters, clusters.Where(c => !_clusters.ContainsKey(c.Name)).ToList());
            Add(_endpoints, endpoints);
            Add(_secrets, secrets);
        }

        /// <summary>
        /// Listeners of the node's gRPC servers (after the proxyless names, so that of a same-named pair those are kept),
        /// and the warnings about those it is not offered.
        /// </summary>
        public void AddServers(IEnumerable<Listener> servers, IReadOnlyList<TranslationWarning> warnings)
        {
            _onDemand.AddRange(servers);
            _proxylessWarnings.UnionWith(warnings);
        }

        public ProxyResources ToResources() => new(
            sidecar.Listeners,
            [.. _routes.Values.Cast<Envoy.Config.Route.V3.RouteConfiguration>()],
            [.. _clusters.Values.Cast<Envoy.Config.Cluster.V3.Cluster>()],
            [.. _endpoints.Values.Cast<Envoy.Config.Endpoint.V3.ClusterLoadAssignment>()],
            [.. _secrets.Values.Cast<Envoy.Extensions.TransportSockets.Tls.V3.Secret>()],
            [.. _warnings])
        {
            OnDemandListeners = [.. _onDemand.DistinctBy(l => l.Name).OrderBy(l => l.Name, StringComparer.Ordinal)],
            OnDemandClusters = [.. _onDemandClusters.Values.Cast<Envoy.Config.Cluster.V3.Cluster>()],
            ProxylessWarnings = [.. _proxylessWarnings],
        };

        private static SortedDictionary<string, IMessage> ByName(IEnumerable<(string Name, IMessage Message)> items)
        {
            var byName = new SortedDictionary<string, IMessage>(StringComparer.Ordinal);
            foreach (var (name, message) in items)
            {
                byName[name] = message;
            }

            return byName;
        }

        private static (string Name, IMessage Message)? Clash(SortedDictionary<string, IMessage> have, List<(string Name, IMessage Message)> more)
        {
            foreach (var m in more)
            {
                if (have.TryGetValue(m.Name, out var existing) && !existing.Equals(m.Message))
                {
                    return m;
                }
            }

            return null;
        }

        private static void Add(SortedDictionary<string, IMessage> have, List<(string Name, IMessage Message)> more)
        {
            foreach (var (name, message) in more)
            {
                have.TryAdd(name, message);
            }
        }
    }
}
