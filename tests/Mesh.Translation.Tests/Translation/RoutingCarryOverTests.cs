using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Route.V3;
using Mesh.Model.Graph;
using Mesh.Translation.Tests.Support;

namespace Mesh.Translation.Tests.Translation;

/// <summary>
/// <see cref="MeshTranslator.MeshChanged"/> gives a changed mesh's new graph the egress routing's parts of the backend
/// services the change does not reach (<see cref="BackendRouting"/>: per port, the virtual host or TCP targets and
/// their clusters), and a node's routing is assembled from its backends' parts in the order one build took, so a route
/// change rebuilds one service's routes and clusters and keeps the others. Whatever is carried, every node must get
/// exactly what a translator that never saw the old graph gives, also where one backend's part decides what another's
/// gives: a TCP port the first service takes, a cluster name two services derive differently.
/// </summary>
public sealed class RoutingCarryOverTests
{
    private const string TlsPolicy = """{"tls":{"validation":{"trust":{"file":{"certificateChain":"/ca.pem"}}}}}""";

    [Fact]
    public void Over_Random_Meshes_And_Changes_Every_Node_Gets_What_A_Fresh_Translator_Gives()
    {
        var carried = 0;
        var rebuilt = 0;
        var hostsCarried = 0;
        CarryOverRuns.Run(300, step =>
        {
            // A backend's cluster or virtual host object the node had before the change was carried, not built again.
            var (c, r) = CarryOverRuns.Count(BackendClusters(step.Actual), step.Before is null ? null : BackendClusters(step.Before));
            carried += c;
            rebuilt += r;
            hostsCarried += CarryOverRuns.Count(BackendHosts(step.Actual), step.Before is null ? null : BackendHosts(step.Before)).Carried;
        });

        // Both must be common, or the property says little.
        Assert.True(carried > 2000, $"only {carried} backend clusters carried ({rebuilt} built again)");
        Assert.True(rebuilt > 2000, $"only {rebuilt} backend clusters built again ({carried} carried)");
        Assert.True(hostsCarried > 1000, $"only {hostsCarried} backend virtual hosts carried");
    }

    [Fact]
    public void A_Route_Change_Rebuilds_The_Changed_Services_Routing_And_Carries_The_Others()
    {
        var mesh = TwoRouters();
        var first = mesh.Translate();

        mesh.Route("router-a", "server-a", retries: 5);
        var second = mesh.Translate();

        Assert.NotNull(ClusterTo(first, "server-b"));
        Assert.Same(ClusterTo(first, "server-b"), ClusterTo(second, "server-b"));
        Assert.Same(HostOf(first, "rds_egress_http_80", "b.local"), HostOf(second, "rds_egress_http_80", "b.local"));
        Assert.NotSame(ClusterTo(first, "server-a"), ClusterTo(second, "server-a"));
        Assert.NotSame(HostOf(first, "rds_egress_http_80", "a.local"), HostOf(second, "rds_egress_http_80", "a.local"));
    }

    [Fact]
    public void A_TCP_Port_Taken_By_The_First_Service_Frees_Up_For_The_Second_And_Is_Taken_Again()
    {
        var mesh = new MeshRows()
            .Client("a.local", "b.local")
            .Node("server-a", 9000, "tcp", "a.internal")
            .Node("server-b", 9000, "tcp", "b.internal")
            .Service("a.local", node: "server-a")
            .Service("b.local", node: "server-b");
        var taken = mesh.Translate();
        Assert.Contains(taken.Warnings.Messages(), w => w.Contains("TCP port 9000 is already taken by virtualService/a.local", StringComparison.Ordinal));
        Assert.Null(ClusterTo(taken, "server-b"));

        // server-a loses its discovery: a.local reaches nothing on 9000, so b.local's part, carried, takes the port.
        mesh.Node("server-a", 9000, "tcp", null);
        var freed = mesh.Translate();
        Assert.NotNull(ClusterTo(freed, "server-b"));
        Assert.DoesNotContain(freed.Warnings.Messages(), w => w.Contains("already taken", StringComparison.Ordinal));

        mesh.Node("server-a", 9000, "tcp", "a.internal");
        var again = mesh.Translate();
        Assert.Null(ClusterTo(again, "server-b"));
        Assert.Contains(again.Warnings.Messages(), w => w.Contains("TCP port 9000 is already taken by virtualService/a.local", StringComparison.Ordinal));

        // b.local's part was never rebuilt: free again, the port leads to the cluster built two changes before.
        mesh.Node("server-a", 9000, "tcp", null);
        Assert.Same(ClusterTo(freed, "server-b"), ClusterTo(mesh.Translate(), "server-b"));
    }

    [Fact]
    public void Of_Two_Services_Deriving_One_Cluster_Name_Differently_The_First_Is_Kept_Whichever_Was_Carried()
    {
        // a.local (with TLS) and b.local (without) both reach server's port 80: one name, two contents.
        var mesh = new MeshRows()
            .Client("a.local", "b.local", aPolicy: TlsPolicy)
            .Node("server", 80, "http", "server.internal")
            .Node("other", 80, "http", "other.internal")
            .Router("router-a", 80)
            .Route("router-a", "server", retries: 1)
            .Service("a.local", router: "router-a")
            .Service("b.local", node: "server");
        var clash = mesh.Translate();
        Assert.NotNull(ClusterTo(clash, "server")!.TransportSocket);
        Assert.Contains(clash.Warnings.Messages(), w => w.Contains("cds_egress_m_server_http_80 was derived twice", StringComparison.Ordinal));

        // a.local's part is rebuilt and b.local's carried: a.local's cluster is still the one kept.
        mesh.Route("router-a", "server", retries: 4);
        var rebuilt = mesh.Translate();
        Assert.NotNull(ClusterTo(rebuilt, "server")!.TransportSocket);
        Assert.NotSame(ClusterTo(clash, "server"), ClusterTo(rebuilt, "server"));

        // a.local now reaches another node: b.local's carried cluster (without TLS) is the only one of the name.
        mesh.Route("router-a", "other", retries: 4);
        var apart = mesh.Translate();
        Assert.Null(ClusterTo(apart, "server")!.TransportSocket);
        Assert.DoesNotContain(apart.Warnings.Messages(), w => w.Contains("derived twice", StringComparison.Ordinal));

        mesh.Route("router-a", "server", retries: 4);
        Assert.NotNull(ClusterTo(mesh.Translate(), "server")!.TransportSocket);
    }

    [Fact]
    public void A_Backends_Port_Change_Rebuilds_Its_Routing_Under_The_New_Port()
    {
        var mesh = TwoRouters();
        var first = mesh.Translate();

        mesh.Router("router-a", 81);
        var second = mesh.Translate();

        Assert.Equal(["b.local"], second.RouteConfigurations.Single(r => r.Name == "rds_egress_http_80").VirtualHosts.Select(h => h.Name));
        Assert.Equal(["a.local"], second.RouteConfigurations.Single(r => r.Name == "rds_egress_http_81").VirtualHosts.Select(h => h.Name));
        Assert.Same(HostOf(first, "rds_egress_http_80", "b.local"), HostOf(second, "rds_egress_http_80", "b.local"));
        Assert.NotNull(ClusterTo(first, "server-b"));
        Assert.Same(ClusterTo(first, "server-b"), ClusterTo(second, "server-b"));
    }

    [Fact]
    public void A_Service_Removed_And_Added_Again_Is_Rebuilt_And_The_Other_Carried_Throughout()
    {
        var mesh = TwoRouters();
        var first = mesh.Translate();

        mesh.Remove("virtualService", "b.local");
        var removed = mesh.Translate();
        Assert.Null(ClusterTo(removed, "server-b"));
        Assert.Contains(removed.Warnings.Messages(), w => w.Contains("virtualService/b.local does not exist", StringComparison.Ordinal));

        mesh.Service("b.local", router: "router-b");
        var back = mesh.Translate();
        Assert.NotNull(ClusterTo(back, "server-b"));
        Assert.NotSame(ClusterTo(first, "server-b"), ClusterTo(back, "server-b"));
        Assert.NotNull(ClusterTo(first, "server-a"));
        Assert.Same(ClusterTo(first, "server-a"), ClusterTo(removed, "server-a"));
        Assert.Same(ClusterTo(first, "server-a"), ClusterTo(back, "server-a"));
    }

    /// <summary>The client calls a.local and b.local, each a router on port 80 with one route to its own node.</summary>
    private static MeshRows TwoRouters() => new MeshRows()
        .Client("a.local", "b.local")
        .Node("server-a", 80, "http", "a.internal")
        .Node("server-b", 80, "http", "b.internal")
        .Router("router-a", 80)
        .Router("router-b", 80)
        .Route("router-a", "server-a", retries: 1)
        .Route("router-b", "server-b", retries: 1)
        .Service("a.local", router: "router-a")
        .Service("b.local", router: "router-b");

    private static Cluster? ClusterTo(ProxyResources resources, string node) =>
        resources.Clusters.SingleOrDefault(c => c.Name.StartsWith($"cds_egress_m_{node}_", StringComparison.Ordinal));

    private static VirtualHost HostOf(ProxyResources resources, string route, string service) =>
        resources.RouteConfigurations.Single(r => r.Name == route).VirtualHosts.Single(h => h.Name == service);

    /// <summary>The clusters of the node's backends (not its own local clusters, nor the passthrough ones).</summary>
    private static IEnumerable<Cluster> BackendClusters(ProxyResources resources) =>
        resources.Clusters.Where(c => c.Name.StartsWith("cds_egress_", StringComparison.Ordinal)
            && c.Name != EnvoyNames.AllowAllCluster(RandomMeshes.MeshName) && c.Name != EnvoyNames.AmazonAwsCluster(RandomMeshes.MeshName));

    private static IEnumerable<VirtualHost> BackendHosts(ProxyResources resources) =>
        resources.RouteConfigurations.Where(r => r.Name.StartsWith("rds_egress_", StringComparison.Ordinal))
            .SelectMany(r => r.VirtualHosts)
            .Where(h => h.Name != EnvoyNames.AllowAllVirtualHost);

    /// <summary>
    /// The rows of mesh <c>m</c>, changed one at a time (each put bumps the row's version), and one translator told
    /// of every change between the graphs it translated.
    /// </summary>
    private sealed class MeshRows
    {
        private readonly Dictionary<(string Kind, string Name), MeshResourceRow> _rows = new()
        {
            [("mesh", "m")] = new("mesh", null, "m", 1, "{}"),
        };

        private readonly MeshTranslator _translator = new();
        private MeshGraph? _last;
        private int _graphs;

        /// <summary>The client's translation of the rows as they are now, checked against a fresh translator's.</summary>
        public ProxyResources Translate()
        {
            var graph = MeshGraph.Build(_rows.Values);
            if (_last is not null)
            {
                _translator.MeshChanged(_last, graph, MeshGraphDiff.Between(_last, graph));
            }

            _last = graph;
            var target = ProxyTarget.VirtualNode("client");
            var actual = _translator.TranslateProxy(graph, target);
            ProxyResourcesAssert.Equal(new MeshTranslator().TranslateProxy(graph, target), actual, $"the client in graph {++_graphs}");
            return actual;
        }

        public MeshRows Client(string a, string b, string? aPolicy = null)
        {
            var first = new JsonObject { ["virtualServiceName"] = a };
            if (aPolicy is not null)
            {
                first["clientPolicy"] = JsonNode.Parse(aPolicy);
            }

            var backends = new JsonArray(new JsonObject { ["virtualService"] = first }, new JsonObject { ["virtualService"] = new JsonObject { ["virtualServiceName"] = b } });
            return Put("virtualNode", null, "client", new JsonObject { ["listeners"] = Listeners(8080, "http"), ["backends"] = backends });
        }

        public MeshRows Node(string name, int port, string protocol, string? hostname)
        {
            var spec = new JsonObject { ["listeners"] = Listeners(port, protocol) };
            if (hostname is not null)
            {
                spec["serviceDiscovery"] = new JsonObject { ["dns"] = new JsonObject { ["hostname"] = hostname } };
            }

            return Put("virtualNode", null, name, spec);
        }

        public MeshRows Router(string name, int port) => Put("virtualRouter", null, name, new JsonObject { ["listeners"] = Listeners(port, "http") });

        public MeshRows Route(string router, string node, int retries) => Put("route", router, "route", new JsonObject
        {
            ["httpRoute"] = new JsonObject
            {
                ["match"] = new JsonObject { ["prefix"] = "/" },
                ["action"] = new JsonObject { ["weightedTargets"] = new JsonArray(new JsonObject { ["virtualNode"] = node, ["weight"] = 1 }) },
                ["retryPolicy"] = new JsonObject
                {
                    ["maxRetries"] = retries,
                    ["perRetryTimeout"] = new JsonObject { ["unit"] = "ms", ["value"] = 1000 },
                    ["httpRetryEvents"] = new JsonArray("server-error"),
                },
            },
        });

        public MeshRows Service(string name, string? node = null, string? router = null) => Put("virtualService", null, name, new JsonObject
        {
            ["provider"] = node is not null
                ? new JsonObject { ["virtualNode"] = new JsonObject { ["virtualNodeName"] = node } }
                : new JsonObject { ["virtualRouter"] = new JsonObject { ["virtualRouterName"] = router } },
        });

        public void Remove(string kind, string name) => _rows.Remove((kind, name));

        private static JsonArray Listeners(int port, string protocol) =>
            new(new JsonObject { ["portMapping"] = new JsonObject { ["port"] = port, ["protocol"] = protocol } });

        private MeshRows Put(string kind, string? parent, string name, JsonObject spec)
        {
            var key = (kind, parent is null ? name : $"{parent}/{name}");
            var version = _rows.TryGetValue(key, out var old) ? old.Version + 1 : 1;
            _rows[key] = new MeshResourceRow(kind, parent, name, version, spec.ToJsonString());
            return this;
        }
    }
}
