using Mesh.Migrations;
using Mesh.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Mesh.Persistence.Tests;

public sealed class ResourceUniquenessTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task DuplicateIdentity_IsRejectedByUniqueIndex()
    {
        await using (var first = new MeshDbContext(MeshDbContextOptions.Create(database.ConnectionString)))
        {
            first.Resources.Add(Entities.Mesh("dup"));
            await first.SaveChangesAsync();
        }

        await using var second = new MeshDbContext(MeshDbContextOptions.Create(database.ConnectionString));
        var duplicate = Entities.Mesh("dup");
        duplicate.Arn += "-other";
        second.Resources.Add(duplicate);

        var error = await Assert.ThrowsAsync<DbUpdateException>(() => second.SaveChangesAsync());
        var postgres = Assert.IsType<PostgresException>(error.InnerException);
        Assert.Equal(PostgresErrorCodes.UniqueViolation, postgres.SqlState);
        Assert.Equal("ux_resources_identity", postgres.ConstraintName);
    }
}
