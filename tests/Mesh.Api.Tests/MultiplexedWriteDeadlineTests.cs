using System.Text.Json.Nodes;
using Mesh.Api.Security;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Mesh.Api.Tests;

/// <summary>
/// A multiplexed write whose caller stopped waiting (<see cref="Resources.DeadlineRace"/>) is not cancelled in
/// PostgreSQL (<see cref="Resources.WriteDatabase.CommitAsync"/>): it runs to its end, and the API reports it as it
/// ended, in the audit (committed after the 503, or not applied) and, when it committed, with the change feed's wake-up
/// after the commit.
/// </summary>
public sealed class MultiplexedWriteDeadlineTests(MultiplexedWriteDeadlineTests.ShortDeadlineApi fixture)
    : IClassFixture<MultiplexedWriteDeadlineTests.ShortDeadlineApi>
{
    private readonly ShortDeadlineApi api = fixture;

    [Fact]
    public async Task AWriteWhoseCallerStoppedWaiting_RunsToItsEnd_AndIsReportedCommitted_WithItsWakeUp()
    {
        var mesh = await api.MeshAsync();
        var token = Guid.NewGuid().ToString();

        // Another session holds an uncommitted claim of the create's clientToken: the create's statement waits for it,
        // past the call's deadline.
        await using var holder = await HoldClaimAsync(token);
        var call = api.Server.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh),
            new JsonObject { ["virtualNodeName"] = "held", ["spec"] = Specs.VirtualNode(), ["clientToken"] = token });
        await WriteMultiplexingTests.WaitUntilASessionWaitsForAsync(api.Server.ConnectionString, holder.Connection.ProcessID);
        var answer = await call;
        answer.AssertError(503, "ServiceUnavailableException");
        Assert.Contains("may or may not have been applied", answer.Message, StringComparison.Ordinal);

        // The claim goes away: the create, which nobody cancelled in PostgreSQL (unmultiplexed, the deadline's cancel
        // request would have rolled it back), commits. The audit says so, and the change feed is woken after the commit.
        await using var listener = new NpgsqlConnection(api.Server.ConnectionString);
        await listener.OpenAsync();
        var woken = false;
        listener.Notification += (_, _) => woken = true;
        await using (var listen = new NpgsqlCommand($"LISTEN {ChangeFeed.Channel}", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await holder.RollbackAsync();

        var record = Assert.Single(await SettledAuditAsync(answer.RequestId!));
        Assert.Equal(200, record.StatusCode);
        Assert.StartsWith("Committed after the caller was answered 503 ServiceUnavailableException", record.Message, StringComparison.Ordinal);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (!woken)
        {
            await listener.WaitAsync(timeout.Token);
        }

        (await api.Server.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh, "held"))).AssertOk();
    }

    [Fact]
    public async Task AWriteWhoseCallerStoppedWaiting_ThenRefused_IsReportedNotApplied()
    {
        var mesh = await api.MeshAsync();
        var token = Guid.NewGuid().ToString();
        await using var holder = await HoldClaimAsync(token);
        var call = api.Server.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh),
            new JsonObject { ["virtualNodeName"] = "refused", ["spec"] = Specs.VirtualNode(), ["clientToken"] = token });
        await WriteMultiplexingTests.WaitUntilASessionWaitsForAsync(api.Server.ConnectionString, holder.Connection.ProcessID);
        var answer = await call;
        answer.AssertError(503, "ServiceUnavailableException");

        // The other claim commits: the create's claim then fails (the token is taken), and its statement with it.
        await holder.CommitAsync();

        var record = Assert.Single(await SettledAuditAsync(answer.RequestId!));
        Assert.Equal((503, "ServiceUnavailableException"), (record.StatusCode, record.ErrorCode));
        Assert.EndsWith("It was not applied.", record.Message, StringComparison.Ordinal);
        (await api.Server.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh, "refused"))).AssertError(404, "NotFoundException");
    }

    /// <summary>
    /// A transaction of another session holding an uncommitted claim of <paramref name="token"/> for another request
    /// (migration ClaimWithoutSpeculativeInsert); disposing it disposes its connection.
    /// </summary>
    private async Task<HeldClaim> HoldClaimAsync(string token)
    {
        var connection = new NpgsqlConnection(api.Server.ConnectionString);
        await connection.OpenAsync();
        var held = await connection.BeginTransactionAsync();
        await using var claim = new NpgsqlCommand(
            "SELECT o_at FROM mesh_claim_token($1, $2, 'CreateVirtualNode', 'another request', now(), now() - interval '1 day', $3, 1, NULL)",
            connection, held);
        claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ApiServer.AccountId });
        claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = token });
        claim.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Guid.NewGuid() });
        Assert.Equal(DBNull.Value, await claim.ExecuteScalarAsync());
        return new HeldClaim(connection, held);
    }

    private sealed class HeldClaim(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public NpgsqlConnection Connection => connection;

        public Task CommitAsync() => transaction.CommitAsync();

        public Task RollbackAsync() => transaction.RollbackAsync();

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    /// <summary>
    /// The audit records of <paramref name="requestId"/> once one says how its abandoned write ended (settled in the
    /// background once the write has ended), or after a minute whatever they are.
    /// </summary>
    private async Task<IReadOnlyList<AuditRecordEntity>> SettledAuditAsync(string requestId)
    {
        var audit = api.Server.Services.GetRequiredService<AuditLog>();
        var since = DateTimeOffset.UtcNow.AddMinutes(-10);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMinutes(1)); // bounds the poll only; nothing is timed
        while (true)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await audit.FlushAsync(timeout.Token);
            var records = (await audit.ListAsync(since, DateTimeOffset.UtcNow.AddSeconds(1), null, CancellationToken.None))
                .Where(r => r.RequestId == requestId).ToList();
            if (records.Any(r => r.Message.StartsWith("Committed after", StringComparison.Ordinal) || r.Message.EndsWith("It was not applied.", StringComparison.Ordinal))
                || giveUp.IsCancellationRequested)
            {
                return records;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>
    /// An API whose writes are multiplexed (whatever the default) with a short deadline, so that a write held by another
    /// session outlives its call.
    /// </summary>
    public sealed class ShortDeadlineApi : IAsyncLifetime
    {
        public ApiServer Server { get; } = new();

        public ShortDeadlineApi()
        {
            Server.Settings["Mesh:WriteMultiplexing"] = "true";
            Server.Settings["Mesh:RequestTimeout"] = "00:00:05";
        }

        public async Task InitializeAsync()
        {
            await Server.InitializeAsync();

            // A new server's first create compiles the write path and opens its connections; on a loaded machine that can
            // outlast the 5 s deadline, which is not what these tests are about. So one is done first.
            var mesh = await MeshAsync();
            await SucceededAsync(Paths.VirtualNodes(mesh),
                new JsonObject { ["virtualNodeName"] = "warm", ["spec"] = Specs.VirtualNode(), ["clientToken"] = Guid.NewGuid().ToString() });
        }

        public Task DisposeAsync() => Server.DisposeAsync();

        /// <summary>A new mesh.</summary>
        public async Task<string> MeshAsync()
        {
            var mesh = "mesh-" + Guid.NewGuid().ToString("N")[..10];
            await SucceededAsync(Paths.Meshes, new JsonObject { ["meshName"] = mesh, ["clientToken"] = Guid.NewGuid().ToString() });
            return mesh;
        }

        /// <summary>
        /// Creates, sending again while the API answers 503 (its deadline is short here) as SDKs do, with the body's
        /// clientToken so that a retry is safe; the last answer must be 200.
        /// </summary>
        private async Task SucceededAsync(string path, JsonObject body)
        {
            for (var attempt = 1; ; attempt++)
            {
                var response = await Server.SendAsync(HttpMethod.Put, path, body.DeepClone());
                if (response.Status != 503 || attempt == 10)
                {
                    response.AssertOk();
                    return;
                }
            }
        }
    }
}
