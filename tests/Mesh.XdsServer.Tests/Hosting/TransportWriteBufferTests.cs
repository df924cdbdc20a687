using Mesh.XdsServer.Hosting;
using Mesh.XdsServer.Tests.Support;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mesh.XdsServer.Tests.Hosting;

/// <summary>
/// The socket transport never makes Kestrel's flushes wait unless Xds:TransportWriteBufferBytes sets a limit: a flush
/// pending at the stop costs the stream its trailers (Protocol/SlowStopTests, docs/benchmarks.md issue13aa).
/// </summary>
public sealed class TransportWriteBufferTests
{
    [Fact]
    public async Task The_Transport_Has_No_Write_Limit_Unless_One_Is_Set()
    {
        await using (var host = await XdsTestHost.StartAsync())
        {
            Assert.Null(host.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.MaxWriteBufferSize);
            Assert.NotNull(new SocketTransportOptions().MaxWriteBufferSize);
        }

        await using (var host = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Xds:TransportWriteBufferBytes"] = "65536" }))
        {
            Assert.Equal(65536, host.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.MaxWriteBufferSize);
        }
    }

    [Fact]
    public void A_Negative_Limit_Is_Refused_Naming_The_Setting()
    {
        Assert.Contains("Xds:TransportWriteBufferBytes", new XdsOptions { TransportWriteBufferBytes = -1 }.Problem());
        Assert.Null(new XdsOptions { TransportWriteBufferBytes = 0 }.Problem());
    }
}
