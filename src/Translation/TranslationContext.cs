using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf;
using Mesh.Model.Graph;

namespace Mesh.Translation;

/// <summary>
/// The state of one translation: the graph, what has been built so far (keyed by name, so a cluster that
/// several routes need is built once), and warnings. Sorted collections make the output deterministic.
/// </summary>
/// <param name="portWarningsTo">
/// The context that says this one's <see cref="WarnOnPort"/> warnings: a sidecar translates each port of a backend in
/// a context of its own, and a cause that holds on several of them is said once, by the backend's context.
/// </param>
internal sealed class TranslationContext(MeshGraph graph, TranslatorOptions options, SharedEgress? sharedEgress = null, TranslationContext? portWarningsTo = null)
{
    /// <summary>Where a <see cref="WarnOnPort"/> warning names its ports ("port 80", "ports 80, 8080").</summary>
    public const string Ports = "\uFFFF";


    private readonly SortedDictionary<string, Listener> _listeners = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, RouteConfiguration> _routes = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, Cluster> _clusters = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, ClusterLoadAssignment> _endpoints = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, Secret> _secrets = new(StringComparer.Ordinal);
    private readonly SortedSet<TranslationWarning> _warnings = [];
    private readonly SortedDictionary<TranslationWarning, SortedDictionary<int, string>> _portWarnings = [];
    private List<TranslationWarning>? _whyUnreachable;

    public MeshGraph Graph { get; } = graph;

    public TranslatorOptions Options { get; } = options;

    public string Mesh => Graph.MeshName;

    public void Warn(WarningKind kind, string warning) => _warnings.Add(new TranslationWarning(kind, warning));

    /// <summary>
    /// Says why a target cannot be reached (a node that does not exist, has no listener for the port, cannot be
    /// resolved or reached): as it is, unless the caller is collecting such causes (<see cref="CollectWhyUnreachable"/>)
    /// to say them once it knows what they lead to.
    /// </summary>
    public void WarnWhyUnreachable(WarningKind kind, string warning)
    {
        if (_whyUnreachable is { } collecting)
        {
            collecting.Add(new TranslationWarning(kind, warning));
        }
        else
        {
            Warn(kind, warning);
        }
    }

    /// <summary>
    /// Runs <paramref name="resolve"/> and hands back in <paramref name="why"/> the causes it gave for targets that
    /// cannot be reached (<see cref="WarnWhyUnreachable"/>), unsaid: a route whose every target cannot be reached says
    /// each cause with what the route's requests get, in one warning (not the cause and then a second warning).
    /// </summary>
    public T CollectWhyUnreachable<T>(Func<T> resolve, out IReadOnlyList<TranslationWarning> why)
    {
        var outer = _whyUnreachable;
        var collected = new List<TranslationWarning>();
        _whyUnreachable = collected;
        try
        {
            var result = resolve();
            why = collected;
            return result;
        }
        finally
        {
            _whyUnreachable = outer;
        }
    }

    /// <summary>Says what another translation warned of, as it said it.</summary>
    public void Warn(TranslationWarning warning) => _warnings.Add(warning);

    /// <summary>
    /// A warning whose cause holds on <paramref name="port"/> and maybe on other ports of the same service (a router
    /// with no route for them, a provider node that cannot be reached): said once, naming every port it was given for
    /// where <paramref name="warning"/> holds <see cref="Ports"/>. <paramref name="label"/> names the port (its number,
    /// and maybe its protocol).
    /// </summary>
    public void WarnOnPort(WarningKind kind, string warning, int port, string label) =>
        WarnOnPort(new TranslationWarning(kind, warning), port, label);

    private void WarnOnPort(TranslationWarning warning, int port, string label)
    {
        if (portWarningsTo is not null)
        {
            portWarningsTo.WarnOnPort(warning, port, label);
            return;
        }

        if (!_portWarnings.TryGetValue(warning, out var ports))
        {
            _portWarnings.Add(warning, ports = []);
        }

        ports.TryAdd(port, label);
    }

    public bool HasCluster(string name) => _clusters.ContainsKey(name);

    public void Add(Listener listener) => AddOnce(_listeners, listener.Name, listener);

    public void Add(RouteConfiguration route) => AddOnce(_routes, route.Name, route);

    public void Add(Cluster cluster) => AddOnce(_clusters, cluster.Name, cluster);

    public void Add(ClusterLoadAssignment endpoints) => AddOnce(_endpoints, endpoints.ClusterName, endpoints);

    public void Add(Secret secret) => AddOnce(_secrets, secret.Name, secret);

    /// <summary>A node's egress routing, shared per graph when it can be (<see cref="Translation.EgressRouting.For"/>).</summary>
    public EgressRouting EgressRouting(MeshResource<Mesh.Model.Specs.VirtualNodeSpec> node) =>
        Translation.EgressRouting.For(sharedEgress, Graph, Options, node);

    /// <summary>Adds what another context built, as if built here (the first of two different same-named messages kept).</summary>
    public void AddAll(ProxyResources resources)
    {
        foreach (var route in resources.RouteConfigurations)
        {
            Add(route);
        }

        foreach (var cluster in resources.Clusters)
        {
            Add(cluster);
        }

        foreach (var endpoints in resources.ClusterLoadAssignments)
        {
            Add(endpoints);
        }

        foreach (var secret in resources.Secrets)
        {
            Add(secret);
        }

        foreach (var warning in resources.Warnings)
        {
            Warn(warning);
        }
    }

    public ProxyResources ToResources() => new(
        [.. _listeners.Values],
        [.. _routes.Values],
        [.. _clusters.Values],
        [.. _endpoints.Values],
        [.. _secrets.Values],
        [.. _warnings.Union(_portWarnings.Select(w => w.Key with { Message = w.Key.Message.Replace(Ports, NamePorts(w.Value.Values), StringComparison.Ordinal) })).Order()]);

    private static string NamePorts(IReadOnlyCollection<string> labels) =>
        labels.Count == 1 ? $"port {labels.First()}" : $"ports {string.Join(", ", labels)}";

    private void AddOnce<T>(SortedDictionary<string, T> store, string name, T message)
        where T : IMessage
    {
        if (store.TryGetValue(name, out var existing))
        {
            if (!existing.Equals(message))
            {
                Warn(WarningKind.Conflict, $"{typeof(T).Name} {name} was derived twice with different content; the first was kept");
            }

            return;
        }

        store.Add(name, message);
    }
}
