using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Mesh.ApiLoad;

/// <summary>
/// PostgreSQL's own ceiling on this machine, in the same run: pgbench (from the same binaries as the server)
/// running a primary-key select and a single-row insert of a resource-sized row, and the list page's own statement on
/// Mesh's rows, at the same client counts.
/// </summary>
internal sealed partial class PgBench(string pgbench, NpgsqlConnectionStringBuilder server)
{
    private const string Database = "mesh_pgbench";
    private const int Rows = 10_000;

    public static string? Find()
    {
        var configured = Environment.GetEnvironmentVariable("MESH_PG_BIN");
        var candidates = configured is { Length: > 0 }
            ? [Path.Combine(configured, "pgbench")]
            : Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d).Select(d => Path.Combine(d, "bin", "pgbench"))
                : [];
        return candidates.FirstOrDefault(File.Exists);
    }

    /// <summary>A scratch database beside Mesh's, with a table shaped like the resources table.</summary>
    public async Task PrepareAsync()
    {
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            await admin.OpenAsync();
            await using var exists = new NpgsqlCommand($"SELECT 1 FROM pg_database WHERE datname = '{Database}'", admin);
            if (await exists.ExecuteScalarAsync() is null)
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE {Database}", admin);
                await create.ExecuteNonQueryAsync();
            }
        }

        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = Database, Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var setup = new NpgsqlCommand($$$"""
            DROP TABLE IF EXISTS bench_resources;
            CREATE TABLE bench_resources (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                account_id varchar(12) NOT NULL, mesh_name varchar(255) COLLATE "C" NOT NULL, name varchar(255) COLLATE "C" NOT NULL,
                spec jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
            INSERT INTO bench_resources (account_id, mesh_name, name, spec)
            SELECT '111122223333', 'bench', 'node-' || i, '{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}'
            FROM generate_series(1, {{{Rows}}}) AS i;
            """, connection);
        await setup.ExecuteNonQueryAsync();
        await using var analyze = new NpgsqlCommand("VACUUM ANALYZE bench_resources", connection);
        await analyze.ExecuteNonQueryAsync();
    }

    public Task<double> SelectByKeyAsync(int clients, TimeSpan duration) =>
        RunAsync(clients, duration, $"\\set id random(1, {Rows})\nSELECT * FROM bench_resources WHERE id = :id;\n");

    /// <summary>
    /// The statement a list page of <paramref name="mesh"/>'s virtual nodes runs in the API (ResourceOperations'
    /// ListRows: its columns, its WHERE and ORDER BY, LIMIT the page's 100 + 1), on Mesh's own database and rows,
    /// prepared with its values bound as parameters, as the API's auto-prepared statement is, but for the parent's name,
    /// empty for a virtual node: pgbench has no empty variable, so it is the literal ''. What PostgreSQL
    /// alone serves of it is the ceiling of a List cell: a page of 100 rows costs it 6–20× a primary-key select
    /// (issue14ai), so the primary-key select's rate is not one a List can approach.
    /// </summary>
    public Task<double> ListPageAsync(int clients, TimeSpan duration, string mesh, int limit) =>
        ListStatementAsync(clients, duration, mesh, limit, "uid, version, name, arn, resource_owner, created_at, last_updated_at");

    /// <summary>
    /// The same page's statement of the columns a page of kept items reads (ResourceOperations' ListKeys, issue14as):
    /// the statement a warm List runs since then. On main before issue14as the API ran the rows statement instead.
    /// </summary>
    public Task<double> KeptPageAsync(int clients, TimeSpan duration, string mesh, int limit) =>
        ListStatementAsync(clients, duration, mesh, limit, "uid, version, name");

    private async Task<double> ListStatementAsync(int clients, TimeSpan duration, string mesh, int limit, string columns)
    {
        var account = await AccountOfMeshAsync(mesh);
        return await RunAsync(clients, duration, $"""
            SELECT {columns} FROM resources WHERE account_id = :account AND kind = :kind AND parent_name = '' AND mesh_name = :mesh ORDER BY name LIMIT :limit;

            """,
            server.Database!, ["-M", "prepared", "-D", $"account={account}", "-D", "kind=virtualNode", "-D", $"mesh={mesh}",
                "-D", string.Create(CultureInfo.InvariantCulture, $"limit={limit + 1}")]);
    }

    private async Task<string> AccountOfMeshAsync(string mesh)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var find = new NpgsqlCommand("SELECT account_id FROM resources WHERE kind = 'mesh' AND name = $1", connection);
        find.Parameters.Add(new NpgsqlParameter { Value = mesh });
        return await find.ExecuteScalarAsync() as string ?? throw new InvalidOperationException($"Mesh {mesh} is not in the database {server.Database}.");
    }

    public Task<double> InsertRowAsync(int clients, TimeSpan duration) =>
        RunAsync(clients, duration, """
            INSERT INTO bench_resources (account_id, mesh_name, name, spec)
            VALUES ('111122223333', 'bench', md5(random()::text), '{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}');

            """);

    private async Task<double> RunAsync(int clients, TimeSpan duration, string script, string database = Database, string[]? options = null)
    {
        var file = Path.Combine(Path.GetTempPath(), $"mesh-pgbench-{Guid.NewGuid():N}.sql");
        await File.WriteAllTextAsync(file, script);
        try
        {
            var start = new ProcessStartInfo(pgbench)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in (string[])
            [
                "-n", "-h", server.Host!, "-p", server.Port.ToString(CultureInfo.InvariantCulture), "-U", server.Username ?? "postgres",
                "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(clients, Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
                "-T", ((int)Math.Ceiling(duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture), .. options ?? [], "-f", file, database,
            ])
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync();
            var errors = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var tps = Tps().Match(output);
            return process.ExitCode == 0 && tps.Success
                ? double.Parse(tps.Groups[1].Value, CultureInfo.InvariantCulture)
                : throw new InvalidOperationException($"pgbench failed ({process.ExitCode}): {errors}{output}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex Tps();
}
