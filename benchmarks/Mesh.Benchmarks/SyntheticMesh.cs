using System.Text.Json;
using Mesh.Model.Graph;
using Mesh.XdsServer.Identity;

namespace Mesh.Benchmarks;

/// <summary>
/// A mesh shaped like a real one, scaled by its number of services. Service <c>i</c> is a router splitting
/// 90/10 between nodes <c>svc-i-v1</c> and <c>svc-i-v2</c>; node <c>frontend</c> calls every service, and
/// gateway <c>ingress</c> routes <c>/svc-i</c> to it. Each revision moves service 0's split and flips the mesh's
/// egress filter, so consecutive revisions differ in the listeners of every sidecar.
/// </summary>
public static class SyntheticMesh
{
    public const string Account = "111122223333";
    public const string Name = "bench";

    public static MeshKey Key { get; } = new(Account, Name);

    public static MeshGraph Build(int services, int revision = 0) => MeshGraph.Build(Rows(services, revision));

    public static ProxyIdentity Node(string name) => new(Key, ProxyKind.VirtualNode, name);

    public static ProxyIdentity Gateway(string name) => new(Key, ProxyKind.VirtualGateway, name);

    public static IEnumerable<MeshResourceRow> Rows(int services, int revision)
    {
        yield return Row(MeshResourceKinds.Mesh, "", Name, new { egressFilter = new { type = revision % 2 == 0 ? "DROP_ALL" : "ALLOW_ALL" } });
        for (var i = 0; i < services; i++)
        {
            var service = $"svc-{i}.bench.local";
            foreach (var version in new[] { "v1", "v2" })
            {
                yield return Row(MeshResourceKinds.VirtualNode, "", $"svc-{i}-{version}", new
                {
                    listeners = new[] { new { portMapping = new { port = 8080, protocol = "http" }, timeout = new { http = new { perRequest = new { unit = "s", value = 15 } } } } },
                    serviceDiscovery = new { dns = new { hostname = $"svc-{i}-{version}.bench.internal" } },
                });
            }

            var canary = i == 0 ? revision % 100 : 10;
            yield return Row(MeshResourceKinds.VirtualRouter, "", $"svc-{i}-router", new { listeners = new[] { new { portMapping = new { port = 8080, protocol = "http" } } } });
            yield return Row(MeshResourceKinds.Route, $"svc-{i}-router", "default", new
            {
                httpRoute = new
                {
                    match = new { prefix = "/" },
                    action = new { weightedTargets = new[] { new { virtualNode = $"svc-{i}-v1", weight = 100 - canary }, new { virtualNode = $"svc-{i}-v2", weight = canary } } },
                    retryPolicy = new { maxRetries = 2, perRetryTimeout = new { unit = "ms", value = 500 }, httpRetryEvents = new[] { "server-error" } },
                },
            });
            yield return Row(MeshResourceKinds.VirtualService, "", service, new { provider = new { virtualRouter = new { virtualRouterName = $"svc-{i}-router" } } });
            yield return Row(MeshResourceKinds.GatewayRoute, "ingress", $"to-svc-{i}", new
            {
                httpRoute = new { match = new { prefix = $"/svc-{i}" }, action = new { target = new { virtualService = new { virtualServiceName = service } } } },
            });
        }

        yield return Row(MeshResourceKinds.VirtualNode, "", "frontend", new
        {
            listeners = new[] { new { portMapping = new { port = 8080, protocol = "http" } } },
            serviceDiscovery = new { dns = new { hostname = "frontend.bench.internal" } },
            backends = Enumerable.Range(0, services).Select(i => new { virtualService = new { virtualServiceName = $"svc-{i}.bench.local" } }),
        });
        yield return Row(MeshResourceKinds.VirtualGateway, "", "ingress", new { listeners = new[] { new { portMapping = new { port = 9000, protocol = "http" } } } });
    }

    private static MeshResourceRow Row(string kind, string parent, string name, object spec) =>
        new(kind, parent, name, 1, JsonSerializer.Serialize(spec));
}
