using BenchmarkDotNet.Attributes;
using Mesh.XdsServer.Snapshots;

namespace Mesh.Benchmarks;

/// <summary>
/// Config propagation inside one xDS server: from a mesh change reaching the snapshot cache to every connected
/// proxy holding the new configuration, over real ADS streams on loopback (h2c). Proxies are spread over the
/// mesh's identities as sidecars of a real deployment would be; each ACKs what it receives, as Envoy does.
/// </summary>
public class PropagationBenchmarks
{
    private const int Services = 50;

    private InProcessXdsServer _server = null!;
    private ProxyFleet _fleet = null!;
    private int _revision;

    [Params(100, 1000, 3000)]
    public int Proxies { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _server = await InProcessXdsServer.StartAsync();
        _server.Producer.SetMesh(SyntheticMesh.Key, SyntheticMesh.Build(Services, _revision));

        // Each revision flips the egress filter, which changes every sidecar's listeners: every proxy gets every change.
        var identities = new[] { "frontend" }.Concat(Enumerable.Range(0, Services).Select(i => $"svc-{i}-v1")).ToArray();
        _fleet = await ProxyFleet.ConnectAsync(_server.GrpcUri, Proxies, i => $"mesh/{SyntheticMesh.Name}/virtualNode/{identities[i % identities.Length]}");
    }

    [Benchmark(Description = "one mesh change reaches every proxy")]
    public async Task OneChangeReachesEveryProxy()
    {
        var received = _fleet.ExpectOneResponseEach();
        _server.Producer.SetMesh(SyntheticMesh.Key, SyntheticMesh.Build(Services, ++_revision));
        await received;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _fleet.DisposeAsync();
        await _server.DisposeAsync();
    }
}
