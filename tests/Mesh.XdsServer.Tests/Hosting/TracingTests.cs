using Mesh.Testing;
using Mesh.XdsServer.Feed;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.XdsServer.Tests.Hosting;

/// <summary>With <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, the work a mesh change causes is exported as OTLP spans.</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task Loading_A_Changed_Mesh_Is_Exported_As_A_Span_Over_Otlp()
    {
        await using var receiver = await OtlpReceiver.StartAsync(TaskTimeouts.Token());
        var server = await PostgresServer.GetSharedAsync(TaskTimeouts.Token());
        var store = new MeshStore(await server.CreateDatabaseAsync(TaskTimeouts.Token()));
        await using var host = await XdsTestHost.StartAsync(store.ConnectionString, settings: new Dictionary<string, string?>(receiver.Settings));
        await Eventually.TrueAsync(() => host.Services.GetRequiredService<FeedStatus>().Loaded);

        await store.ApplyAsync(MeshRows.Demo("traced-mesh"), TaskTimeouts.Token());

        await Eventually.TrueAsync(() => receiver.Exported("LoadMesh", "traced-mesh", "mesh-xds"));
    }

    [Fact]
    public async Task Without_An_Endpoint_No_Tracer_Runs()
    {
        await using var host = await XdsTestHost.StartAsync();

        Assert.Null(host.Services.GetService<OpenTelemetry.Trace.TracerProvider>());
    }
}
