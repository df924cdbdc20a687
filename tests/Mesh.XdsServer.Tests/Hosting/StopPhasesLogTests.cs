using Mesh.Testing;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Tests.Hosting;

/// <summary>
/// A stopping server logs its stop's phases (the fleet's storm reads them): when every connection had closed, and
/// when the host's other services had stopped, each after the stop began; then what the stop cost the process.
/// </summary>
public sealed class StopPhasesLogTests
{
    [Fact]
    public async Task The_Stop_Logs_When_Its_Connections_Closed_And_When_The_Host_Stopped()
    {
        var logs = new CapturingLoggerProvider();
        // The test host logs warnings only; the stop's lines are information.
        await using (var host = await XdsTestHost.StartAsync(
            settings: new Dictionary<string, string?> { ["Logging:LogLevel:Mesh.XdsServer.Hosting"] = "Information" },
            services: s => s.AddSingleton<ILoggerProvider>(logs)))
        {
            var mesh = MeshRows.Demo();
            host.Producer.SetMesh(mesh.Key, mesh.Graph);
            await using var client = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
            await client.SendAsync(TypeUrls.Cluster);
            await client.AckAsync(await client.NextAsync());

            // The stop with a stream open: its connection is one of those whose close the first line times.
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
            await client.ClosedAsync();
        }

        var stop = logs.Entries.Where(e => e.Category == "Mesh.XdsServer.Hosting").Select(e => (e.Event, e.Level, e.Message)).ToList();
        var closed = Assert.Single(stop, e => e.Event.Id == 33);
        var stopped = Assert.Single(stop, e => e.Event.Id == 35);
        Assert.Equal(LogLevel.Information, closed.Level);
        Assert.Matches(@"^Stopped listening: every connection closed \d+ ms after the stop began$", closed.Message);
        Assert.Matches(@"^Stopped: the host's services stopped \d+ ms after the stop began$", stopped.Message);
        Assert.DoesNotContain(stop, e => e.Event.Id == 34);

        // What the stop cost, logged once the host stopped: numbers the fleet's storm reads.
        var cost = Assert.Single(stop, e => e.Event.Id == 37);
        Assert.Equal(LogLevel.Information, cost.Level);
        Assert.Matches(@"^Stopped: the stop cost \d+ ms of process CPU and \d+ MB allocated; \d+ garbage collections \(\d+ of generation 1 or 2, \d+ of generation 2\) paused the process \d+ ms$", cost.Message);
    }
}
