using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Mesh.Persistence;

/// <summary>
/// Compares the tables and columns <see cref="MeshDbContext"/> maps with what the database has. The hosts never
/// migrate on start, so a database that was never migrated (or is behind the code) is found here and named, instead
/// of answering every call with a 500.
/// </summary>
public static class SchemaCheck
{
    /// <summary>How to fix what <see cref="MissingAsync"/> finds, for messages.</summary>
    public const string Remedy =
        "apply the migrations: dotnet Mesh.Migrations.dll with the same ConnectionStrings__Mesh "
        + "(or dotnet run --project migrations; ./run.sh and the compose service migrate do it for you)";

    /// <summary>
    /// The database functions the API calls by name (migrations <c>QuotaCountAtCommit</c>, <c>MeshQualifiedRefs</c> and
    /// <c>WriteFunctions</c>): a database migrated only as far as the tables would otherwise answer every create,
    /// update and delete with a 500.
    /// </summary>
    public static readonly IReadOnlyList<string> RequiredFunctions =
    [
        "mesh_count_created", "mesh_count_deleted", "mesh_refs",
        "mesh_claim_token", "mesh_first_missing", "mesh_lock_needed", "mesh_check_route_port",
        "mesh_create_resource", "mesh_update_resource", "mesh_delete_resource",
    ];

    /// <summary>
    /// What the schema lacks, as <c>table</c> for a missing table, <c>table.column</c> for a missing column and
    /// <c>function()</c> for a missing function; empty when the migrations are applied.
    /// </summary>
    public static async Task<IReadOnlyList<string>> MissingAsync(MeshDbContext db, CancellationToken ct)
    {
        var present = new HashSet<(string Table, string Column)>();
        var functions = new HashSet<string>(StringComparer.Ordinal);
        var connection = db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened)
        {
            await connection.OpenAsync(ct);
        }

        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()";
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    present.Add((reader.GetString(0), reader.GetString(1)));
                }
            }

            command.CommandText = "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()";
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    functions.Add(reader.GetString(0));
                }
            }
        }
        finally
        {
            if (opened)
            {
                await connection.CloseAsync();
            }
        }

        var tables = present.Select(p => p.Table).ToHashSet();
        var missing = new List<string>();
        foreach (var entity in db.Model.GetEntityTypes().Where(e => e.GetTableName() is not null).OrderBy(e => e.GetTableName(), StringComparer.Ordinal))
        {
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            if (!tables.Contains(table.Name))
            {
                missing.Add(table.Name);
                continue;
            }

            missing.AddRange(entity.GetProperties()
                .Select(p => p.GetColumnName(table))
                .OfType<string>()
                .Where(column => !present.Contains((table.Name, column)))
                .Select(column => $"{table.Name}.{column}"));
        }

        missing.AddRange(RequiredFunctions.Where(f => !functions.Contains(f)).Select(f => f + "()"));
        return missing;
    }

    /// <summary>One line for an operator: what is missing (the first few) and what to do.</summary>
    public static string Describe(IReadOnlyList<string> missing)
    {
        var shown = string.Join(", ", missing.Take(5)) + (missing.Count > 5 ? $" and {missing.Count - 5} more" : "");
        return $"the database's schema is not migrated (missing {shown}); {Remedy}.";
    }
}
