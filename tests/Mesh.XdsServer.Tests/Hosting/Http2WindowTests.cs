using Mesh.XdsServer.Hosting;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mesh.XdsServer.Tests.Hosting;

/// <summary>
/// The xDS port's HTTP/2 receive windows: small by default (a proxy's requests are read as they arrive, so large
/// windows only let a connect burst pile up unread), settable through Kestrel's own keys, and never a limit on
/// the size of one request.
/// </summary>
public sealed class Http2WindowTests
{
    [Fact]
    public async Task The_Windows_Start_At_64_KiB_Per_Stream_And_128_KiB_Per_Connection()
    {
        await using var host = await XdsTestHost.StartAsync();

        var limits = host.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.Http2;
        Assert.Equal((64 * 1024, 128 * 1024), (limits.InitialStreamWindowSize, limits.InitialConnectionWindowSize));
    }

    [Fact]
    public async Task Kestrels_Own_Settings_Override_The_Windows()
    {
        await using var host = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Kestrel:Limits:Http2:InitialStreamWindowSize"] = "786432",
            ["Kestrel:Limits:Http2:InitialConnectionWindowSize"] = "1048576",
        });

        var limits = host.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.Http2;
        Assert.Equal((786432, 1048576), (limits.InitialStreamWindowSize, limits.InitialConnectionWindowSize));
    }

    [Fact]
    public async Task A_Request_Larger_Than_Both_Windows_Is_Read_And_Answered()
    {
        await using var host = await XdsTestHost.StartAsync();
        var mesh = MeshRows.Demo();
        mesh.Node("web", "10.0.0.9");
        host.Producer.SetMesh(mesh.Key, mesh.Graph);

        // gRPC takes a message only once all of it has arrived; Kestrel must reopen the windows as the bytes are
        // examined, or a request above 128 KiB would never arrive whole.
        await using var proxy = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        proxy.Metadata = new Google.Protobuf.WellKnownTypes.Struct();
        proxy.Metadata.Fields["padding"] = Google.Protobuf.WellKnownTypes.Value.ForString(new string('x', 300_000));
        await proxy.SendAsync(TypeUrls.Cluster);

        var clusters = await proxy.NextAsync().DefaultTimeout();
        Assert.NotEmpty(clusters.Resources);
    }
}
