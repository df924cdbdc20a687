using Mesh.Persistence;

namespace Mesh.Persistence.Tests;

/// <summary><see cref="MigrationWatch"/>: a follower of the change log learns that a migration it has not seen was applied.</summary>
public sealed class MigrationWatchTests
{
    [Fact]
    public void TheFirstReading_IsNotNew_AndOnlyAChangedOneIs()
    {
        var watch = new MigrationWatch();

        Assert.False(watch.IsNew("20261201020000_FewerStatementsPerWrite"));
        Assert.False(watch.IsNew("20261201020000_FewerStatementsPerWrite"));
        Assert.True(watch.IsNew("20261202000000_Next"));
        Assert.False(watch.IsNew("20261202000000_Next"));
        Assert.True(watch.IsNew(null)); // the history emptied: not the database it was
    }

    [Fact]
    public void ADatabaseWithNoMigrationAtFirst_SeesTheFirstOneAsNew()
    {
        var watch = new MigrationWatch();

        Assert.False(watch.IsNew(null));
        Assert.True(watch.IsNew("20261126095458_InitialCreate"));
    }
}
