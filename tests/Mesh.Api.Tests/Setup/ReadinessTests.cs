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

    [Fact]
    public async Task A_Database_That_Is_Down_At_Start_Does_Not_Stop_The_Api_And_Readiness_Says_So()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { typeof(Program).Assembly.Location, "--urls", $"http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(arg);
        }

        // Nothing listens on port 1: PostgreSQL is not up (yet).
        start.Environment["ConnectionStrings__Mesh"] = "Host=127.0.0.1;Port=1;Database=mesh;Username=postgres;Timeout=2";
        start.Environment["Mesh__Auth__MasterKey"] = Mesh.Security.SecretProtector.NewMasterKey();
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (true)
            {
                if (process.HasExited)
                {
                    Assert.Fail($"the API exited ({process.ExitCode}): {await errors}{await output}");
                }

                try
                {
                    using var live = await http.GetAsync("/healthz", timeout.Token);
                    if (live.IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                    // not listening yet
                }

                await Task.Delay(200, timeout.Token);
            }

            using var ready = await http.GetAsync("/readyz", timeout.Token);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.StartsWith("Unhealthy: PostgreSQL does not answer", await ready.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
