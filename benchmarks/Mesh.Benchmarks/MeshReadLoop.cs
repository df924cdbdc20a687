using System.Diagnostics;
using System.Text.Json;
using Mesh.Model.Graph;
using Mesh.Persistence;
using Mesh.Testing;
using Mesh.XdsServer.Feed;
using Mesh.XdsServer.Identity;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Mesh.Benchmarks;

/// <summary>
/// The xDS server's mesh read per change, against a real PostgreSQL (the tests' throwaway one): a mesh of
/// <c>nodes</c> virtual nodes (each calling five services, about the size of the fleet's client nodes), one node's
/// spec updated before each read as the API does (version + 1), then the mesh read the way the loader did before
/// (<see cref="ChangeLogReader.MeshRowsAsync"/>: every row, every column, through EF Core) and the way it does now
/// (<see cref="MeshRowReader"/>: ids and row versions, then the changed rows). Prints, per read, the wall time, this
/// process's CPU and the CPU of the PostgreSQL backend serving the connection (<c>/proc/&lt;pid&gt;/stat</c>), so
/// the database's share is measured, not guessed. Run with <c>--loop-mesh-read &lt;nodes&gt; &lt;reads&gt;</c>.
/// </summary>
public static class MeshReadLoop
{
    public static async Task RunAsync(int nodes, int reads)
    {
        var server = await PostgresServer.GetSharedAsync();
        var connectionString = await server.CreateDatabaseAsync();
        var options = new DbContextOptionsBuilder<MeshDbContext>().UseNpgsql(connectionString).Options;
        var mesh = new MeshKey("111122223333", "big");
        await using (var db = new MeshDbContext(options))
        {
            db.Resources.Add(Row(mesh, MeshResourceKinds.Mesh, mesh.MeshName, "{}"));
            for (var n = 0; n < nodes; n++)
            {
                db.Resources.Add(Row(mesh, MeshResourceKinds.VirtualNode, $"node-{n}", NodeSpec(n, 0)));
            }

            await db.SaveChangesAsync();
        }

        Console.WriteLine($"mesh of {nodes + 1} rows stored ({server})");
        await MeasureAsync("every row through EF Core (before)", options, mesh, reads, async (db, _) =>
            (await new ChangeLogReader(db).MeshRowsAsync(mesh.AccountId, mesh.MeshName, CancellationToken.None)).Count);
        var reader = new MeshRowReader();
        await MeasureAsync("ids and row versions, changed rows in full (after)", options, mesh, reads, async (db, _) =>
            (await reader.ReadAsync(db, mesh, changes: null, CancellationToken.None)).Rows.Count);
    }

    private static async Task MeasureAsync(string name, DbContextOptions<MeshDbContext> options, MeshKey mesh, int reads, Func<MeshDbContext, int, Task<int>> read)
    {
        await using var db = new MeshDbContext(options);
        await db.Database.OpenConnectionAsync(); // one connection, so one backend, for the whole run
        var backend = await db.Database.SqlQuery<int>($"SELECT pg_backend_pid() AS \"Value\"").SingleAsync();
        var self = Process.GetCurrentProcess();
        var wall = TimeSpan.Zero;
        var ownCpu = TimeSpan.Zero;
        var backendCpu = TimeSpan.Zero;
        var rows = 0;
        for (var r = -3; r < reads; r++) // three reads not counted: the JIT, the first full read
        {
            await Update(db, r);
            self.Refresh();
            var cpuBefore = self.TotalProcessorTime;
            var backendBefore = CpuOf(backend);
            var started = Stopwatch.GetTimestamp();
            rows = await read(db, r);
            var elapsed = Stopwatch.GetElapsedTime(started);
            self.Refresh();
            if (r >= 0)
            {
                wall += elapsed;
                ownCpu += self.TotalProcessorTime - cpuBefore;
                backendCpu += CpuOf(backend) - backendBefore;
            }
        }

        await db.Database.CloseConnectionAsync();
        Console.WriteLine($"{name}: {rows} rows, per read {wall.TotalMilliseconds / reads:F1} ms wall, {ownCpu.TotalMilliseconds / reads:F1} ms of this process's CPU, {backendCpu.TotalMilliseconds / reads:F1} ms of PostgreSQL's");
    }

    // The change before each read: one node's spec, as the API writes it (version + 1, in its own transaction).
    private static async Task Update(MeshDbContext db, int r)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var command = new NpgsqlCommand(
            "UPDATE resources SET spec = $1::jsonb, version = version + 1, last_updated_at = now() WHERE mesh_name = 'big' AND name = 'node-0'", connection);
        command.Parameters.AddWithValue(NodeSpec(0, r + 10));
        await command.ExecuteNonQueryAsync();
    }

    private static TimeSpan CpuOf(int pid)
    {
        var fields = File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var ticks = long.Parse(fields[11]) + long.Parse(fields[12]); // utime, stime (fields 14 and 15 of the whole line)
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    private static ResourceEntity Row(MeshKey mesh, string kind, string name, string spec) => new()
    {
        AccountId = mesh.AccountId,
        MeshName = mesh.MeshName,
        Kind = kind,
        ParentName = "",
        Name = name,
        Arn = $"arn:aws:appmesh:us-west-2:{mesh.AccountId}:mesh/{mesh.MeshName}/{kind}/{name}",
        Uid = Guid.NewGuid(),
        Version = 1,
        Spec = spec,
        Tags = "[]",
        ResourceOwner = mesh.AccountId,
        CreatedAt = DateTimeOffset.UtcNow,
        LastUpdatedAt = DateTimeOffset.UtcNow,
    };

    private static string NodeSpec(int n, int retries) => JsonSerializer.Serialize(new
    {
        listeners = new[]
        {
            new
            {
                portMapping = new { port = 8080 + retries, protocol = "http" },
                healthCheck = new { protocol = "http", path = "/health", healthyThreshold = 2, unhealthyThreshold = 3, timeoutMillis = 2000, intervalMillis = 5000 },
            },
        },
        serviceDiscovery = new { dns = new { hostname = $"node-{n}.big.local" } },
        backends = Enumerable.Range(0, 5).Select(b => new { virtualService = new { virtualServiceName = $"svc-{(n + b) % 500}.big.local" } }).ToArray(),
    });
}
