using Mesh.XdsServer.Hosting;
using Mesh.XdsServer.Snapshots;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mesh.Benchmarks;

/// <summary>
/// The real xDS server (the services and Kestrel listeners Program.cs builds, full translation) on loopback
/// ports the OS picks. Without a connection string meshes are handed to <see cref="Producer"/> directly, so a
/// benchmark measures the server and not PostgreSQL; with one it follows the database's change feed.
/// </summary>
public sealed class InProcessXdsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessXdsServer(WebApplication app, Uri grpc)
    {
        _app = app;
        GrpcUri = grpc;
    }

    public Uri GrpcUri { get; }

    public SnapshotProducer Producer => _app.Services.GetRequiredService<SnapshotProducer>();

    public Mesh.XdsServer.Feed.FeedStatus Feed => _app.Services.GetRequiredService<Mesh.XdsServer.Feed.FeedStatus>();

    public static async Task<InProcessXdsServer> StartAsync(string? connectionString = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Benchmark" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Xds:GrpcUrl"] = "http://127.0.0.1:0",
            ["Xds:AdminUrl"] = "http://127.0.0.1:0",
            ["Mesh:AccountId"] = SyntheticMesh.Account,
            ["Xds:Auth:Mode"] = "None",
            ["ConnectionStrings:Mesh"] = connectionString,
        });
        builder.Logging.ClearProviders();
        builder.AddXdsServer();
        var app = builder.Build();
        app.MapXdsServer();
        await app.StartAsync();

        // Kestrel reports its endpoints in the order they were configured: gRPC first.
        var grpc = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new InProcessXdsServer(app, new Uri(grpc));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
