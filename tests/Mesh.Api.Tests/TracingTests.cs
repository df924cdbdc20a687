using Mesh.Api.Tests.Infrastructure;
using Mesh.Testing;

namespace Mesh.Api.Tests;

/// <summary>With <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, each App Mesh operation is exported as an OTLP span.</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task An_Operation_Is_Exported_As_A_Span_Over_Otlp()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var receiver = await OtlpReceiver.StartAsync(timeout.Token);
        var server = new ApiServer();
        foreach (var (key, value) in receiver.Settings)
        {
            server.Settings[key] = value;
        }

        await server.InitializeAsync();
        try
        {
            var mesh = await MeshBuilder.CreateAsync(server);

            while (!receiver.Exported("CreateMesh", mesh.Mesh, "mesh-api"))
            {
                await Task.Delay(100, timeout.Token);
            }
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
