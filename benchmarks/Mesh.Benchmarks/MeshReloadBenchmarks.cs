using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Mesh.Model.Graph;
using Mesh.Translation;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Snapshots;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Benchmarks;

/// <summary>
/// What the xDS server does with a large mesh on every change before it translates anything: build the graph
/// from all its rows (<see cref="MeshGraph.Build"/>), compare it with the previous one (<see cref="MeshGraphDiff"/>),
/// and pick the identities the change affects (<see cref="ProxyDependencies"/>). The mesh: 500 services, each a
/// router with one route splitting between two nodes, and 9,000 client nodes calling five services each
/// (10,000 nodes). The change moves service 0's split, which affects the 90 clients that call it. The last
/// benchmark is the whole of one such change in the producer with 1,000 clients watched (10 of them call service 0).
/// </summary>
[MemoryDiagnoser]
public class MeshReloadBenchmarks
{
    private const int Services = 500;
    private const int Clients = 9000;
    private const int BackendsPerClient = 5;

    private List<MeshResourceRow> _rows = null!;
    private List<MeshResourceRow> _changedRows = null!;
    private ParsedRows _parsed = ParsedRows.Empty;
    private MeshGraph _old = null!;
    private MeshGraph _new = null!;
    private MeshGraphDiff _diff = null!;
    private ProxyTarget[] _clients = null!;
    private readonly List<IDisposable> _watches = [];
    private SnapshotProducer _producer = null!;
    private bool _flip;

    [GlobalSetup]
    public void Setup()
    {
        _rows = [.. Rows(canary: 10)];
        _old = MeshGraph.Build(_rows);
        _changedRows = [.. Rows(canary: 20)];
        _new = MeshGraph.Build(_changedRows);
        MeshGraph.Build(_rows, null, out _parsed);
        _diff = MeshGraphDiff.Between(_old, _new);
        _clients = [.. Enumerable.Range(0, Clients).Select(c => ProxyTarget.VirtualNode($"client-{c}"))];
        var cache = new SnapshotCache();
        _producer = new SnapshotProducer(cache, new MeshTranslator(), new XdsMetrics(), NullLogger<SnapshotProducer>.Instance);
        _producer.SetMesh(Key, _old);
        for (var c = 0; c < 1000; c++)
        {
            _watches.Add(cache.Watch(new ProxyIdentity(Key, ProxyKind.VirtualNode, $"client-{c}"), _ => { }));
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _watches.ForEach(w => w.Dispose());

    private static MeshKey Key { get; } = new("111122223333", "big");

    [Benchmark(Description = "MeshGraph.Build of 10,000 nodes / 500 services")]
    public MeshGraph Build() => MeshGraph.Build(_rows);

    [Benchmark(Description = "MeshGraph.Build of the same after one route change, the unchanged rows reused")]
    public MeshGraph BuildReusing() => MeshGraph.Build((_flip = !_flip) ? _changedRows : _rows, _parsed, out _parsed);

    [Benchmark(Description = "MeshGraphDiff.Between two such graphs (one route changed)")]
    public MeshGraphDiff Diff() => MeshGraphDiff.Between(_old, _new);

    [Benchmark(Description = "ProxyDependencies.Affected for all 9,000 client identities")]
    public int AffectedClients() => _clients.Count(c => ProxyDependencies.Affected(_diff, _old, _new, c));

    [Benchmark(Description = "SnapshotProducer.SetMesh of a route change, 1,000 clients watched, 10 affected")]
    public void RouteChange() => _producer.SetMesh(Key, (_flip = !_flip) ? _new : _old);

    private static IEnumerable<MeshResourceRow> Rows(int canary)
    {
        yield return Row(MeshResourceKinds.Mesh, "", "big", new { egressFilter = new { type = "DROP_ALL" } });
        for (var i = 0; i < Services; i++)
        {
            foreach (var version in new[] { "v1", "v2" })
            {
                yield return Row(MeshResourceKinds.VirtualNode, "", $"svc-{i}-{version}", new
                {
                    listeners = new[] { new { portMapping = new { port = 8080, protocol = "http" } } },
                    serviceDiscovery = new { dns = new { hostname = $"svc-{i}-{version}.big.internal" } },
                });
            }

            var split = i == 0 ? canary : 10;
            yield return Row(MeshResourceKinds.VirtualRouter, "", $"svc-{i}-router", new { listeners = new[] { new { portMapping = new { port = 8080, protocol = "http" } } } });
            yield return Row(MeshResourceKinds.Route, $"svc-{i}-router", "default", new
            {
                httpRoute = new
                {
                    match = new { prefix = "/" },
                    action = new { weightedTargets = new[] { new { virtualNode = $"svc-{i}-v1", weight = 100 - split }, new { virtualNode = $"svc-{i}-v2", weight = split } } },
                },
            });
            yield return Row(MeshResourceKinds.VirtualService, "", $"svc-{i}.big.local", new { provider = new { virtualRouter = new { virtualRouterName = $"svc-{i}-router" } } });
        }

        for (var c = 0; c < Clients; c++)
        {
            yield return Row(MeshResourceKinds.VirtualNode, "", $"client-{c}", new
            {
                listeners = new[] { new { portMapping = new { port = 8080, protocol = "http" } } },
                serviceDiscovery = new { dns = new { hostname = $"client-{c}.big.internal" } },
                backends = Enumerable.Range(0, BackendsPerClient).Select(b => new { virtualService = new { virtualServiceName = $"svc-{(c * BackendsPerClient + b) % Services}.big.local" } }),
            });
        }
    }

    private static MeshResourceRow Row(string kind, string parent, string name, object spec) =>
        new(kind, parent, name, 1, JsonSerializer.Serialize(spec));
}
