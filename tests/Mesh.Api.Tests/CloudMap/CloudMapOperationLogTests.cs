using System.Data.Common;
using System.Text.Json.Nodes;
using Mesh.Api.CloudMap;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Mesh.Api.Tests.CloudMap;

public sealed class CloudMapOperationLogTests(ApiServer api) : IClassFixture<ApiServer>
{
    /// <summary>
    /// A request id whose earlier operation is pruned (Mesh:Retention:CloudMapOperations) between the claim that
    /// found it and the read of it is free again: the call claims it as a new operation rather than failing.
    /// </summary>
    [Fact]
    public async Task ARequestIdWhoseOperationIsPrunedWhileTheClaimReadsIt_IsClaimedAnew()
    {
        var requestId = $"pruned-{Guid.NewGuid():N}";
        await using (var earlier = Context())
        {
            var first = await CloudMapOperationLog.BeginAsync(earlier, ApiServer.AccountId, "REGISTER_INSTANCE", requestId, Input(), DateTimeOffset.UtcNow, CancellationToken.None);
            Assert.Null(first.PreviousOperationId);
        }

        var prune = new PruneBeforeTheRead(api.ConnectionString, requestId);
        await using var db = Context(prune);
        var log = await CloudMapOperationLog.BeginAsync(db, ApiServer.AccountId, "REGISTER_INSTANCE", requestId, Input(), DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.Equal(1, prune.Pruned);
        Assert.Null(log.PreviousOperationId);
        Assert.Equal(log.OperationId, await db.CloudMapOperations.Where(o => o.RequestId == requestId).Select(o => o.Id).SingleAsync());
    }

    private static JsonObject Input() => new() { ["ServiceId"] = "srv-x", ["InstanceId"] = "i-1" };

    private MeshDbContext Context(params IInterceptor[] interceptors) =>
        new(new DbContextOptionsBuilder<MeshDbContext>().UseNpgsql(api.ConnectionString).AddInterceptors(interceptors).Options);

    /// <summary>Deletes the request id's operation, as the retention's prune would, just before the first read of the table.</summary>
    private sealed class PruneBeforeTheRead(string connectionString, string requestId) : DbCommandInterceptor
    {
        public int Pruned { get; private set; }

        public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (Pruned == 0 && command.CommandText.StartsWith("SELECT", StringComparison.Ordinal) && command.CommandText.Contains("cloud_map_operations", StringComparison.Ordinal))
            {
                await using var connection = new Npgsql.NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken);
                await using var delete = new Npgsql.NpgsqlCommand("DELETE FROM cloud_map_operations WHERE request_id = $1", connection)
                {
                    Parameters = { new Npgsql.NpgsqlParameter<string> { TypedValue = requestId } },
                };
                Pruned = await delete.ExecuteNonQueryAsync(cancellationToken);
            }

            return result;
        }
    }
}
