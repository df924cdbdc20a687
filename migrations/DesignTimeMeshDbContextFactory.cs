using Microsoft.EntityFrameworkCore.Design;
using Mesh.Persistence;

namespace Mesh.Migrations;

/// <summary>
/// Lets <c>dotnet ef</c> build the context without starting a host. Adding a migration needs no
/// live database; commands that do (<c>database update</c>) read the same variable the hosts read.
/// </summary>
internal sealed class DesignTimeMeshDbContextFactory : IDesignTimeDbContextFactory<MeshDbContext>
{
    private const string Fallback = "Host=127.0.0.1;Port=5432;Database=mesh;Username=mesh";

    public MeshDbContext CreateDbContext(string[] args)
    {
        var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__Mesh") ?? Fallback;
        return new MeshDbContext(MeshDbContextOptions.Create(connectionString));
    }
}
