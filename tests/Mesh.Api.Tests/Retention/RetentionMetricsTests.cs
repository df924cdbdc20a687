using System.Globalization;
using System.Text.RegularExpressions;
using Mesh.Api.Observability;
using Mesh.Api.Resources;
using Mesh.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Mesh.Api.Tests.Retention;

/// <summary>
/// The API host runs the retention pruner, and <c>/metrics</c> shows its rows pruned and its failures per table (both at
/// zero from the start, so rates and alerts have a series).
/// </summary>
public sealed class RetentionMetricsTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task Metrics_CountRowsPrunedAndFailures_PerTable()
    {
        var text = await api.Client.GetStringAsync("/metrics");
        foreach (var table in RetentionTable.All)
        {
            Assert.NotNull(Value(text, "mesh_api_retention_failures_total", table));
            Assert.NotNull(Value(text, "mesh_api_retention_pruned_rows_total", table));
        }

        var before = Value(text, "mesh_api_retention_pruned_rows_total", RetentionTable.AuditLog)!.Value;
        await using (var connection = new NpgsqlConnection(api.ConnectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand("""
                INSERT INTO audit_log (at, account_id, access_key_id, action, resource_arn, request_id, status_code, error_code)
                SELECT now() - interval '200 days', '111122223333', 'MKIATEST', 'appmesh:CreateMesh', '', 'r' || n, 200, ''
                FROM generate_series(1, 3) AS n
                """, connection);
            await insert.ExecuteNonQueryAsync();
        }

        // The host's own pruner, whose round at start ran before these records were written.
        await api.Services.GetRequiredService<RetentionPruner>().PruneAsync(CancellationToken.None);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        double? after;
        do
        {
            // The exporter caches a scrape briefly.
            after = Value(await api.Client.GetStringAsync("/metrics"), "mesh_api_retention_pruned_rows_total", RetentionTable.AuditLog);
            if (after >= before + 3)
            {
                break;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Equal(before + 3, after);
    }

    private static double? Value(string metrics, string name, string table)
    {
        var match = Regex.Match(metrics, $"^{name}\\{{[^}}]*table=\"{table}\"[^}}]*\\}} (\\S+)", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }
}
