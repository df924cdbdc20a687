using BenchmarkDotNet.Attributes;
using Mesh.Model.Graph;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Translation;

namespace Mesh.Benchmarks;

/// <summary>
/// The work one mesh change costs per proxy identity: validating the graph, translating it for one proxy, and
/// building (serialising, hashing, consistency-checking) the snapshot that every proxy of that identity shares.
/// </summary>
[MemoryDiagnoser]
public class TranslationBenchmarks
{
    private readonly IMeshTranslator _translator = new MeshTranslationAdapter(new Mesh.Translation.MeshTranslator());
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
    public ProxyResources LeafSidecar() => _translator.Translate(_graph, SyntheticMesh.Node("svc-0-v1"));

    [Benchmark(Description = "translate: sidecar calling every service (frontend)")]
    public ProxyResources FrontendSidecar() => _translator.Translate(_graph, SyntheticMesh.Node("frontend"));

    [Benchmark(Description = "translate: gateway routing to every service")]
    public ProxyResources Gateway() => _translator.Translate(_graph, SyntheticMesh.Gateway("ingress"));

    [Benchmark(Description = "translate + build snapshot (frontend)")]
    public Snapshot FrontendSnapshot() => SnapshotBuilder.Build(_translator.Translate(_graph, SyntheticMesh.Node("frontend")));
}
