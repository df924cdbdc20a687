using Npgsql;

namespace Mesh.Persistence.Tests;

/// <summary>
/// The hosts' automatic preparation (<see cref="StatementPreparation"/>): added to a connection string that does not
/// set it, and what an operator wrote, under either of Npgsql's names for it, kept as written.
/// </summary>
public sealed class StatementPreparationTests
{
    [Fact]
    public void A_Connection_String_Without_It_Gets_The_Hosts_Number()
    {
        var applied = new NpgsqlConnectionStringBuilder(StatementPreparation.Apply(ConnectionStrings.Example));

        Assert.Equal(StatementPreparation.AutoPreparedStatements, applied.MaxAutoPrepare);
        Assert.Equal("127.0.0.1", applied.Host);
        Assert.Equal("mesh", applied.Database);
    }

    [Theory]
    [InlineData("Max Auto Prepare=0", 0)]
    [InlineData("MaxAutoPrepare=20", 20)]
    [InlineData("max auto prepare=7", 7)]
    public void What_The_Operator_Wrote_Is_Kept(string written, int expected)
    {
        var applied = new NpgsqlConnectionStringBuilder(StatementPreparation.Apply($"{ConnectionStrings.Example};{written}"));

        Assert.Equal(expected, applied.MaxAutoPrepare);
    }
}
