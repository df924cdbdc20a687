using System.Net;
using Mesh.Api.Tests.Infrastructure;
using Npgsql;

namespace Mesh.Api.Tests.Setup;

/// <summary><c>/readyz</c> says what is wrong with the database, not just that something is.</summary>
public sealed class ReadinessTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task A_Schema_Changed_Under_The_Running_Api_Fails_Readiness_With_Apply_The_Migrations()
    {
        using var client = new HttpClient { BaseAddress = api.BaseAddress };
        Assert.Equal("Healthy", await client.GetStringAsync("/readyz"));

        await using (var connection = new NpgsqlConnection(api.ConnectionString))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand("ALTER TABLE audit_log RENAME TO audit_log_gone", connection);
            await drop.ExecuteNonQueryAsync();
        }

        using var response = await client.GetAsync("/readyz");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.StartsWith("Unhealthy: the database's schema is not migrated (missing audit_log); apply the migrations: ", body, StringComparison.Ordinal);
    }
}
