using Grpc.Core;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>A server that stops ends its streams with UNAVAILABLE, so proxies reconnect (elsewhere) without reporting an error.</summary>
public sealed class ShutdownTests : IAsyncLifetime
{
    private XdsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await XdsTestHost.StartAsync();
        var mesh = MeshRows.Demo();
        _host.Producer.SetMesh(mesh.Key, mesh.Graph);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Streams_End_With_Unavailable_When_The_Server_Stops()
    {
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await client.SendAsync(TypeUrls.Cluster);
        await client.AckAsync(await client.NextAsync());

        _host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        var closed = await client.ClosedAsync();
        Assert.Equal(StatusCode.Unavailable, closed.StatusCode);
        Assert.Contains("shutting down", closed.Status.Detail);
    }
}
