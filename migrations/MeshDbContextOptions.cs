using Microsoft.EntityFrameworkCore;
using Mesh.Persistence;

namespace Mesh.Migrations;

/// <summary>Builds <see cref="MeshDbContext"/> options that know where the migrations live.</summary>
public static class MeshDbContextOptions
{
    public const string MigrationsAssembly = "Mesh.Migrations";

    public static DbContextOptions<MeshDbContext> Create(string connectionString)
        => new DbContextOptionsBuilder<MeshDbContext>()
            .UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(MigrationsAssembly))
            .Options;
}
