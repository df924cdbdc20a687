using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mesh.Api.Tests;

/// <summary>
/// "Mesh:Transport" reaches Kestrel's socket transport: unset, Kestrel's own defaults stay; set, the host serves with
/// them (a Describe and a List answered, which with inline scheduling run on the socket's own thread).
/// </summary>
public sealed class TransportOptionsTests
{
    public sealed class DefaultTransport(ApiServer api) : IClassFixture<ApiServer>
    {
        [Fact]
        public void Unset_KeepsKestrelsDefaults()
        {
            var socket = api.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value;
            var kestrels = new SocketTransportOptions();
            Assert.False(socket.UnsafePreferInlineScheduling);
            Assert.Equal(kestrels.IOQueueCount, socket.IOQueueCount);
        }
    }

    public sealed class InlineTransport(InlineTransport.InlineApi api) : IClassFixture<InlineTransport.InlineApi>
    {
        public sealed class InlineApi : ApiServer
        {
            public InlineApi()
            {
                Settings["Mesh:Transport:InlineScheduling"] = "true";
                Settings["Mesh:Transport:IOQueueCount"] = "1";
            }
        }

        [Fact]
        public async Task Set_ReachesKestrel_AndCallsAreServed()
        {
            var socket = api.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value;
            Assert.True(socket.UnsafePreferInlineScheduling);
            Assert.Equal(1, socket.IOQueueCount);

            var mesh = await MeshBuilder.CreateAsync(api);
            await mesh.NodeAsync("backend");
            var described = await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "backend"));
            Assert.Equal(200, described.Status);
            Assert.Equal("backend", described.Body?["virtualNodeName"]?.GetValue<string>());
            var listed = await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh.Mesh));
            Assert.Equal(200, listed.Status);
            Assert.Single(listed.Body?["virtualNodes"]?.AsArray() ?? new JsonArray());
            var missing = await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "absent"));
            Assert.Equal((404, "NotFoundException"), (missing.Status, missing.ErrorType));
        }
    }
}
