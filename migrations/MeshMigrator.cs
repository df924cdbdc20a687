using Microsoft.EntityFrameworkCore;
using Mesh.Persistence;

namespace Mesh.Migrations;

/// <summary>The one place that applies schema migrations: the migrate command and the test fixtures call it.</summary>
public static class MeshMigrator
{
    /// <summary>Applies every pending migration and returns the ids of those it applied, oldest first.</summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(string connectionString, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        await using var context = new MeshDbContext(MeshDbContextOptions.Create(connectionString));
        var pending = (await context.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count > 0)
        {
            await context.Database.MigrateAsync(cancellationToken);
        }

        return pending;
    }

    /// <summary>The ids of the migrations already applied to the database, oldest first.</summary>
    public static async Task<IReadOnlyList<string>> GetAppliedAsync(string connectionString, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        await using var context = new MeshDbContext(MeshDbContextOptions.Create(connectionString));
        return (await context.Database.GetAppliedMigrationsAsync(cancellationToken)).ToList();
    }
}
