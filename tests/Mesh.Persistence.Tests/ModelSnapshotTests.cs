using Mesh.Migrations;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Persistence.Tests;

public sealed class ModelSnapshotTests
{
    [Fact]
    public void Model_HasNoChangesMissingAMigration()
    {
        // No database needed: EF compares the model with the migrations' snapshot.
        using var context = new MeshDbContext(MeshDbContextOptions.Create("Host=unused"));

        Assert.False(
            context.Database.HasPendingModelChanges(),
            "src/Persistence changed without a migration: run `dotnet ef migrations add <Name> --project migrations --output-dir Schema`.");
    }
}
