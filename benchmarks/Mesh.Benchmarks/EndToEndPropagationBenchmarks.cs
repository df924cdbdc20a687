using BenchmarkDotNet.Attributes;
using Mesh.Testing;

namespace Mesh.Benchmarks;

/// <summary>
/// The whole path a user's change takes: an UpdateMesh call to the REST API, its commit and NOTIFY in PostgreSQL,
/// the xDS server's change feed (including its debounce), translation, and the push until every connected proxy
/// has the new listeners. PostgreSQL runs from this machine's binaries (or Docker, or MESH_TEST_DATABASE), as the
/// tests' does.
/// </summary>
public class EndToEndPropagationBenchmarks
{
    private const int Services = 50;

    private PostgresServer _postgres = null!;
    private InProcessApi _api = null!;
    private InProcessXdsServer _xds = null!;
    private ProxyFleet _fleet = null!;
    private int _revision;

    [Params(100, 1000)]
    public int Proxies { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _postgres = await PostgresServer.StartDedicatedAsync();
        var database = await _postgres.CreateDatabaseAsync();
        _api = await InProcessApi.StartAsync(database);
        await _api.CreateAsync(SyntheticMesh.Rows(Services, _revision));
        _xds = await InProcessXdsServer.StartAsync(database);
        while (_xds.Producer.Mesh(SyntheticMesh.Key)?.FindVirtualGateway("ingress") is null)
        {
            await Task.Delay(50);
        }

        var identities = new[] { "frontend" }.Concat(Enumerable.Range(0, Services).Select(i => $"svc-{i}-v1")).ToArray();
        _fleet = await ProxyFleet.ConnectAsync(_xds.GrpcUri, Proxies, i => $"mesh/{SyntheticMesh.Name}/virtualNode/{identities[i % identities.Length]}");
    }

    [Benchmark(Description = "update-mesh through the API until every proxy has it")]
    public async Task UpdateMeshReachesEveryProxy()
    {
        var received = _fleet.ExpectOneResponseEach();
        var egress = ++_revision % 2 == 0 ? "DROP_ALL" : "ALLOW_ALL";
        await _api.UpdateMeshAsync(new System.Text.Json.Nodes.JsonObject { ["egressFilter"] = new System.Text.Json.Nodes.JsonObject { ["type"] = egress } }.ToJsonString());
        await received;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _fleet.DisposeAsync();
        await _xds.DisposeAsync();
        await _api.DisposeAsync();
        await _postgres.DisposeAsync();
    }
}
