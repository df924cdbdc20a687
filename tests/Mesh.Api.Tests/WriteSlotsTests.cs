using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Mesh.Api.Tests;

/// <summary>
/// <c>Mesh:WritesInFlight</c> (<see cref="WriteSlots"/>): the resource writes an API process runs in PostgreSQL at once.
/// With one slot and every write held by a table lock, a second write waits in the API, not in PostgreSQL, and its
/// deadline still answers it.
/// </summary>
public sealed class WriteSlotsTests(WriteSlotsTests.OneSlotApi api, WriteSlotsTests.OneSlotShortDeadlineApi shortDeadline)
    : IClassFixture<WriteSlotsTests.OneSlotApi>, IClassFixture<WriteSlotsTests.OneSlotShortDeadlineApi>
{
    public sealed class OneSlotApi : ApiServer
    {
        public OneSlotApi() => Settings["Mesh:WritesInFlight"] = "1";
    }

    public sealed class OneSlotShortDeadlineApi : ApiServer
    {
        public OneSlotShortDeadlineApi()
        {
            Settings["Mesh:WritesInFlight"] = "1";
            Settings["Mesh:RequestTimeout"] = "00:00:02";
        }
    }

    [Fact]
    public async Task ASecondWrite_WaitsForTheSlot_InTheApi_AndRunsOnceTheFirstIsDone()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var slots = api.Services.GetRequiredService<WriteSlots>();

        await using var holder = await LockResourcesAsync(api);
        var first = CreateAsync(api, mesh.Mesh, "first");
        await WaitUntilAsync(async () => await BlockedByAsync(api, holder.Connection) == 1);
        var second = CreateAsync(api, mesh.Mesh, "second");
        await WaitUntilAsync(async () => slots.Waiting == 1 || await BlockedByAsync(api, holder.Connection) == 2);

        // The second write was not sent: PostgreSQL has one session waiting for the lock, the first write's.
        Assert.Equal(1, await BlockedByAsync(api, holder.Connection));
        Assert.Equal(1, slots.InFlight);
        Assert.False(second.IsCompleted);
        Assert.Equal(new Dictionary<string, int> { ["mesh.api.writes.in_flight"] = 1, ["mesh.api.writes.slots"] = 1, ["mesh.api.writes.waiting"] = 1 },
            WriteGauges(api));
        var metrics = await api.Client.GetStringAsync("/metrics");
        Assert.Contains("\nmesh_api_writes_waiting{", metrics, StringComparison.Ordinal);
        Assert.Contains("\nmesh_api_writes_in_flight{", metrics, StringComparison.Ordinal);
        Assert.Contains("\nmesh_api_writes_slots{", metrics, StringComparison.Ordinal);

        await holder.Transaction.CommitAsync();

        (await first).AssertOk();
        (await second).AssertOk();
        Assert.Equal(0, slots.Waiting);
        Assert.Equal(0, slots.InFlight);
        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "second"))).AssertOk();
    }

    [Fact]
    public async Task AWriteStillWaitingForTheSlotAtItsDeadline_IsAnswered503_AndNeverRuns()
    {
        var mesh = await MeshBuilder.CreateAsync(shortDeadline);
        var slots = shortDeadline.Services.GetRequiredService<WriteSlots>();

        var holder = await LockResourcesAsync(shortDeadline);
        await using (holder)
        {
            var first = CreateAsync(shortDeadline, mesh.Mesh, "first");
            await WaitUntilAsync(async () => await BlockedByAsync(shortDeadline, holder.Connection) == 1);
            var second = CreateAsync(shortDeadline, mesh.Mesh, "second");
            await WaitUntilAsync(async () => slots.Waiting == 1 || await BlockedByAsync(shortDeadline, holder.Connection) == 2);
            Assert.Equal(1, slots.Waiting);

            // Both are answered at their deadline with the lock still held; the first's statement is then cancelled in
            // PostgreSQL and the second's wait for the slot ends, neither having written anything.
            Assert.NotEmpty((await second).AssertError(503, "ServiceUnavailableException").Message);
            (await first).AssertError(503, "ServiceUnavailableException");
            await WaitUntilAsync(() => Task.FromResult(slots.Waiting == 0 && slots.InFlight == 0));
            Assert.Equal(0, await BlockedByAsync(shortDeadline, holder.Connection));
        }

        (await shortDeadline.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "second"))).AssertError(404, "NotFoundException");
        (await shortDeadline.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "first"))).AssertError(404, "NotFoundException");
    }

    /// <summary>
    /// The write gauges of this host's meters, read once. Not from <c>/metrics</c>, whose exporter in a test process also
    /// sees the sibling fixture's host's meter of the same name.
    /// </summary>
    private static Dictionary<string, int> WriteGauges(ApiServer server)
    {
        var factory = server.Services.GetRequiredService<IMeterFactory>();
        var values = new Dictionary<string, int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, meters) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name.StartsWith("mesh.api.writes.", StringComparison.Ordinal))
            {
                meters.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => values[instrument.Name] = value);
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }

    private static Task<ApiResponse> CreateAsync(ApiServer server, string mesh, string name) =>
        server.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh), new JsonObject { ["virtualNodeName"] = name, ["spec"] = Specs.VirtualNode() });

    /// <summary>A transaction holding <c>resources</c> in SHARE mode: every write's insert or update waits for it.</summary>
    private static async Task<Holder> LockResourcesAsync(ApiServer server)
    {
        var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("LOCK TABLE resources IN SHARE MODE", connection, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }

        return new Holder(connection, transaction);
    }

    private sealed record Holder(NpgsqlConnection Connection, NpgsqlTransaction Transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }

    /// <summary>How many sessions wait for a lock the holder's session holds.</summary>
    private static async Task<long> BlockedByAsync(ApiServer server, NpgsqlConnection holder)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))", connection);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = holder.ProcessID });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (!await condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}
