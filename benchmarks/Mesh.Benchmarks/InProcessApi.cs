using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Mesh.Api;
using Mesh.Model.Graph;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.Benchmarks;

/// <summary>
/// The real API host on a loopback port, over a database of its own, with authentication off: the benchmark
/// measures what a write costs to reach proxies, not SigV4.
/// </summary>
public sealed class InProcessApi : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessApi(WebApplication app, Uri endpoint)
    {
        _app = app;
        Client = new HttpClient { BaseAddress = endpoint };
    }

    public HttpClient Client { get; }

    public static async Task<InProcessApi> StartAsync(string connectionString)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Benchmark" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Mesh"] = connectionString,
            ["Mesh:AccountId"] = SyntheticMesh.Account,
            ["Mesh:Auth:Mode"] = "None",
        });
        builder.Logging.ClearProviders();
        builder.AddMeshApi();
        var app = builder.Build();
        app.UseMeshApi();
        await app.StartAsync();
        var endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new InProcessApi(app, new Uri(endpoint));
    }

    /// <summary>Creates the rows through the App Mesh operations, in an order that satisfies every reference.</summary>
    public async Task CreateAsync(IEnumerable<MeshResourceRow> rows)
    {
        string[] order = [MeshResourceKinds.Mesh, MeshResourceKinds.VirtualNode, MeshResourceKinds.VirtualRouter, MeshResourceKinds.Route,
            MeshResourceKinds.VirtualService, MeshResourceKinds.VirtualGateway, MeshResourceKinds.GatewayRoute];
        foreach (var row in rows.OrderBy(r => Array.IndexOf(order, r.Kind)))
        {
            var (path, nameMember) = Create(row);
            var body = new JsonObject { [nameMember] = row.Name, ["spec"] = JsonNode.Parse(row.SpecJson) };
            (await Client.PutAsJsonAsync(path, body)).EnsureSuccessStatusCode();
        }
    }

    public async Task UpdateMeshAsync(string spec) =>
        (await Client.PutAsJsonAsync($"/v20190125/meshes/{SyntheticMesh.Name}", new JsonObject { ["spec"] = JsonNode.Parse(spec) })).EnsureSuccessStatusCode();

    private static (string Path, string NameMember) Create(MeshResourceRow row)
    {
        var mesh = $"/v20190125/meshes/{SyntheticMesh.Name}";
        return row.Kind switch
        {
            MeshResourceKinds.Mesh => ("/v20190125/meshes", "meshName"),
            MeshResourceKinds.VirtualNode => ($"{mesh}/virtualNodes", "virtualNodeName"),
            MeshResourceKinds.VirtualRouter => ($"{mesh}/virtualRouters", "virtualRouterName"),
            MeshResourceKinds.Route => ($"{mesh}/virtualRouter/{row.ParentName}/routes", "routeName"),
            MeshResourceKinds.VirtualService => ($"{mesh}/virtualServices", "virtualServiceName"),
            MeshResourceKinds.VirtualGateway => ($"{mesh}/virtualGateways", "virtualGatewayName"),
            MeshResourceKinds.GatewayRoute => ($"{mesh}/virtualGateway/{row.ParentName}/gatewayRoutes", "gatewayRouteName"),
            _ => throw new ArgumentException($"no create operation for {row.Kind}"),
        };
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
