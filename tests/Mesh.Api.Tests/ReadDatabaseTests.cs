using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Mesh.Api.Tests;

/// <summary>
/// Describe and List read through their own data source (<see cref="ReadDatabase"/>), multiplexed by default: a read
/// sees every write committed before it, under concurrent reads too, and a read whose connection is cut is answered
/// ServiceUnavailableException, not a 500, with the next reads served again.
/// </summary>
public sealed class ReadDatabaseTests(ReadDatabaseTests.ReadApi fixture) : IClassFixture<ReadDatabaseTests.ReadApi>
{
    private readonly ApiServer api = fixture;

    [Fact]
    public void Reads_AreMultiplexedByDefault()
    {
        Assert.True(api.Services.GetRequiredService<IOptions<MeshApiOptions>>().Value.ReadMultiplexing);
        var settings = new NpgsqlConnectionStringBuilder(ApiConnectionString.ForReads(api.ConnectionString, multiplexing: true));
        Assert.True(settings.Multiplexing);

        // What the operator wrote in the connection string wins.
        var written = new NpgsqlConnectionStringBuilder(ApiConnectionString.ForReads(api.ConnectionString + ";Multiplexing=false", multiplexing: true));
        Assert.False(written.Multiplexing);
    }

    [Fact]
    public async Task EachRead_SeesTheWriteCommittedJustBefore_UnderConcurrentReads()
    {
        var mesh = await MeshBuilder.CreateAsync(api);

        // Four writers, each reading back what it has just written while the others read too: every answer of the
        // multiplexed reads reflects the writer's last acknowledged write, never an older one.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                var name = $"w{writer}-{i}";
                await mesh.NodeAsync(name);
                var described = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, name))).AssertOk().Body!;
                Assert.Equal(1, described["metadata"]!["version"]!.GetValue<long>());

                var update = new JsonObject { ["spec"] = Specs.VirtualNode(port: 9000 + i) };
                (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, name), update)).AssertOk();
                described = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, name))).AssertOk().Body!;
                Assert.Equal(2, described["metadata"]!["version"]!.GetValue<long>());

                var listed = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNodes(mesh.Mesh) + "?limit=100")).AssertOk().Body!;
                Assert.Contains(listed["virtualNodes"]!.AsArray(), n => n!["virtualNodeName"]!.GetValue<string>() == name);

                (await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, name))).AssertOk();
                (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, name))).AssertError(404, "NotFoundException");
            }
        })));
    }

    [Fact]
    public async Task ReadConnectionsCut_AreServiceUnavailable_NotInternalErrors_AndReadsRecover()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("n");
        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "n"))).AssertOk();

        // Readers keep describing and listing while every other backend of the database is terminated, twice.
        using var stop = new CancellationTokenSource();
        var outcomes = new System.Collections.Concurrent.ConcurrentBag<ApiResponse>();
        var readers = Enumerable.Range(0, 4).Select(reader => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                outcomes.Add(await api.SendAsync(HttpMethod.Get, reader % 2 == 0 ? Paths.VirtualNode(mesh.Mesh, "n") : Paths.VirtualNodes(mesh.Mesh)));
            }
        })).ToList();
        for (var cut = 0; cut < 2; cut++)
        {
            await Task.Delay(300);
            await TerminateOtherBackendsAsync();
        }

        await Task.Delay(300);
        stop.Cancel();
        await Task.WhenAll(readers);

        Assert.All(outcomes, o => Assert.True(o.Status == 200 || (o.Status, o.ErrorType) == (503, "ServiceUnavailableException"),
            $"{o.Status} {o.ErrorType}: {o.Message}"));
        Assert.Contains(outcomes, o => o.Status == 200);

        // Served again without anyone restarting anything.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        ApiResponse last;
        do
        {
            last = await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "n"));
        }
        while (last.Status != 200 && DateTime.UtcNow < deadline);
        last.AssertOk();
    }

    private async Task TerminateOtherBackendsAsync()
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
            connection);
        await command.ExecuteScalarAsync();
    }

    /// <summary>A database of its own: its backends are cut under it.</summary>
    public sealed class ReadApi : IAsyncLifetime
    {
        private readonly DedicatedApiServer server = new();

        public static implicit operator ApiServer(ReadApi fixture) => fixture.server;

        public Task InitializeAsync() => server.InitializeAsync();

        public Task DisposeAsync() => server.DisposeAsync();
    }
}
