using System.Text.Json;
using Mesh.Model.Graph;
using Mesh.XdsServer.Identity;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// Builds the stored rows of a mesh in App Mesh wire JSON, as the API writes them, so tests state a mesh the way
/// a user would with the CLI. <see cref="Graph"/> gives the validated graph the server works from.
/// </summary>
public sealed class MeshRows
{
    public const string Account = "111122223333";

    private readonly Dictionary<(string Kind, string Parent, string Name), (long Version, string Spec)> _rows = [];

    public MeshRows(string meshName = "demo", string meshSpec = "{}")
    {
        MeshName = meshName;
        Put(MeshResourceKinds.Mesh, "", meshName, meshSpec);
    }

    public string MeshName { get; }

    public MeshKey Key => new(Account, MeshName);

    public IEnumerable<MeshResourceRow> Rows =>
        _rows.Select(r => new MeshResourceRow(r.Key.Kind, r.Key.Parent, r.Key.Name, r.Value.Version, r.Value.Spec));

    public MeshGraph Graph => MeshGraph.Build(Rows);

    /// <summary>Creates or updates a row; an update bumps its version, as the API does.</summary>
    public MeshRows Put(string kind, string parent, string name, string spec)
    {
        var version = _rows.TryGetValue((kind, parent, name), out var old) ? old.Version + 1 : 1;
        _rows[(kind, parent, name)] = (version, spec);
        return this;
    }

    public MeshRows Delete(string kind, string parent, string name)
    {
        _rows.Remove((kind, parent, name));
        return this;
    }

    public MeshRows Node(string name, string hostname, int port = 8080, string protocol = "http", params string[] backends) =>
        Put(MeshResourceKinds.VirtualNode, "", name, Json(new
        {
            listeners = new[] { new { portMapping = new { port, protocol } } },
            serviceDiscovery = new { dns = new { hostname } },
            backends = backends.Select(b => new { virtualService = new { virtualServiceName = b } }),
        }));

    public MeshRows ServiceByNode(string name, string node) =>
        Put(MeshResourceKinds.VirtualService, "", name, Json(new { provider = new { virtualNode = new { virtualNodeName = node } } }));

    public MeshRows ServiceByRouter(string name, string router) =>
        Put(MeshResourceKinds.VirtualService, "", name, Json(new { provider = new { virtualRouter = new { virtualRouterName = router } } }));

    public MeshRows Router(string name, int port = 8080, string protocol = "http") =>
        Put(MeshResourceKinds.VirtualRouter, "", name, Json(new { listeners = new[] { new { portMapping = new { port, protocol } } } }));

    public MeshRows HttpRoute(string router, string name, string prefix, params (string Node, int Weight)[] targets) =>
        Put(MeshResourceKinds.Route, router, name, Json(new
        {
            httpRoute = new
            {
                match = new { prefix },
                action = new { weightedTargets = targets.Select(t => new { virtualNode = t.Node, weight = t.Weight }) },
            },
        }));

    public MeshRows GrpcRoute(string router, string name, string serviceName, params (string Node, int Weight)[] targets) =>
        Put(MeshResourceKinds.Route, router, name, Json(new
        {
            grpcRoute = new
            {
                match = new { serviceName },
                action = new { weightedTargets = targets.Select(t => new { virtualNode = t.Node, weight = t.Weight }) },
            },
        }));

    public MeshRows Gateway(string name, int port = 9000) =>
        Put(MeshResourceKinds.VirtualGateway, "", name, Json(new { listeners = new[] { new { portMapping = new { port, protocol = "http" } } } }));

    public MeshRows GatewayRoute(string gateway, string name, string prefix, string service) =>
        Put(MeshResourceKinds.GatewayRoute, gateway, name, Json(new
        {
            httpRoute = new
            {
                match = new { prefix },
                action = new { target = new { virtualService = new { virtualServiceName = service } } },
            },
        }));

    /// <summary>
    /// The mesh most tests use: <c>web</c> (10.0.0.1) calls <c>api.demo.local</c>, which a router splits between
    /// <c>api-v1</c> (127.0.0.1) and <c>api-v2</c> (127.0.0.2); <c>billing.demo.local</c> is provided by node <c>billing</c>.
    /// </summary>
    public static MeshRows Demo(string meshName = "demo") => new MeshRows(meshName)
        .Node("web", "10.0.0.1", 8080, "http", "api.demo.local")
        .Node("api-v1", "127.0.0.1", 9080)
        .Node("api-v2", "127.0.0.2", 9080)
        .Node("billing", "127.0.0.3", 7000, "grpc")
        .Router("api-router", 9080)
        .HttpRoute("api-router", "default", "/", ("api-v1", 50), ("api-v2", 50))
        .ServiceByRouter("api.demo.local", "api-router")
        .ServiceByNode("billing.demo.local", "billing");

    private static string Json(object spec) => JsonSerializer.Serialize(spec);

    public static string NodeId(string node, string mesh = "demo") => $"mesh/{mesh}/virtualNode/{node}";
}
