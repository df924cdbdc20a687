using Mesh.XdsServer.Hosting;
using Mesh.XdsServer.Tests.Support;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mesh.XdsServer.Tests.Hosting;

/// <summary>
/// The listen backlog Kestrel's sockets get is the server's own (Xds:ListenBacklog, 4096 unless set), not Kestrel's
/// 512: a restarted replica's proxies all connect within about a second, and beyond the backlog the kernel answers
/// with SYN cookies whose failed checks reset the proxies' new connections (docs/benchmarks.md, issue13k).
/// </summary>
public sealed class ListenBacklogTests
{
    [Fact]
    public async Task The_Sockets_Use_The_Servers_Backlog_Not_Kestrels_Default()
    {
        await using var host = await XdsTestHost.StartAsync();

        Assert.Equal(XdsOptions.DefaultListenBacklog, host.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.Backlog);
        Assert.NotEqual(XdsOptions.DefaultListenBacklog, new SocketTransportOptions().Backlog);
    }

    [Fact]
    public async Task The_Backlog_Is_A_Setting()
    {
        await using var host = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Xds:ListenBacklog"] = "1234" });

        Assert.Equal(1234, host.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.Backlog);
    }
}
