using BenchmarkDotNet.Attributes;
using Mesh.Model.Graph;
using Mesh.Translation;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Snapshots;

namespace Mesh.Benchmarks;

/// <summary>
/// The work one mesh change costs per proxy identity: validating the graph, translating it for one proxy, and
/// building (serialising, hashing, consistency-checking) the snapshot that every proxy of that identity shares.
/// </summary>
[MemoryDiagnoser]
public class TranslationBenchmarks
{
    private readonly MeshTranslator _translator = new();
    private MeshResourceRow[] _rows = [];
    private MeshGraph _graph = null!;

    [Params(10, 100, 500)]
    public int Services { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _rows = [.. SyntheticMesh.Rows(Services, revision: 0)];
        _graph = MeshGraph.Build(_rows);
    }

    [Benchmark(Description = "validate the mesh graph")]
    public MeshGraph BuildGraph() => MeshGraph.Build(_rows);

    [Benchmark(Description = "translate: leaf sidecar (svc-0-v1)")]
    public ProxyResources LeafSidecar() => Translate(SyntheticMesh.Node("svc-0-v1"));

    [Benchmark(Description = "translate: sidecar calling every service (frontend)")]
    public ProxyResources FrontendSidecar() => Translate(SyntheticMesh.Node("frontend"));

    [Benchmark(Description = "translate: gateway routing to every service")]
    public ProxyResources Gateway() => Translate(SyntheticMesh.Gateway("ingress"));

    [Benchmark(Description = "translate + build snapshot (frontend)")]
    public Snapshot FrontendSnapshot()
    {
        // What the snapshot producer does for one identity: translate, check, serialise.
        var resources = Translate(SyntheticMesh.Node("frontend"));
        return ResourceConsistency.Check(resources).Count == 0 ? SnapshotBuilder.Build(resources) : throw new InvalidOperationException("inconsistent");
    }

    private ProxyResources Translate(ProxyIdentity proxy) => _translator.TranslateProxy(
        _graph, proxy.Kind == ProxyKind.VirtualNode ? ProxyTarget.VirtualNode(proxy.Name) : ProxyTarget.VirtualGateway(proxy.Name));
}
