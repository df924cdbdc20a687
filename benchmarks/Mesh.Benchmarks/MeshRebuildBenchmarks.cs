using BenchmarkDotNet.Attributes;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Snapshots;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Benchmarks;

/// <summary>
/// One mesh change in the snapshot cache: every watched identity of the mesh is translated again and its snapshot
/// rebuilt and swapped in. Each service contributes two identities (its v1 and v2 nodes), plus frontend and the
/// gateway, so 500 services means 1,002 snapshots per change.
/// </summary>
[MemoryDiagnoser]
public class MeshRebuildBenchmarks
{
    private readonly List<IDisposable> _watches = [];
    private SnapshotCache _cache = null!;
    private SnapshotProducer _producer = null!;
    private int _revision;

    [Params(50, 500)]
    public int Services { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _cache = new SnapshotCache();
        _producer = new SnapshotProducer(_cache, new Mesh.Translation.MeshTranslator(), new XdsMetrics(), NullLogger<SnapshotProducer>.Instance);
        _producer.SetMesh(SyntheticMesh.Key, SyntheticMesh.Build(Services, _revision));
        var identities = Enumerable.Range(0, Services)
            .SelectMany(i => new[] { SyntheticMesh.Node($"svc-{i}-v1"), SyntheticMesh.Node($"svc-{i}-v2") })
            .Append(SyntheticMesh.Node("frontend"))
            .Append(SyntheticMesh.Gateway("ingress"));
        foreach (var identity in identities)
        {
            _watches.Add(_cache.Watch(identity, _ => { }));
        }
    }

    [Benchmark(Description = "one mesh change: every identity's snapshot rebuilt")]
    public void RebuildEveryIdentity() => _producer.SetMesh(SyntheticMesh.Key, SyntheticMesh.Build(Services, ++_revision));

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var watch in _watches)
        {
            watch.Dispose();
        }
    }
}
