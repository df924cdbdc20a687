using Npgsql;

namespace Mesh.Persistence.Tests;

/// <summary>
/// The hosts' pool without a reset (<see cref="PoolReset"/>): added to a connection string that does not set it, and
/// what an operator wrote, under either of Npgsql's names for it, kept as written.
/// </summary>
public sealed class PoolResetTests
{
    [Fact]
    public void A_Connection_String_Without_It_Gets_No_Reset_On_Close()
    {
        var applied = new NpgsqlConnectionStringBuilder(PoolReset.Off(ConnectionStrings.Example));

        Assert.True(applied.NoResetOnClose);
        Assert.Equal("127.0.0.1", applied.Host);
        Assert.Equal("mesh", applied.Database);
    }

    [Theory]
    [InlineData("No Reset On Close=false")]
    [InlineData("NoResetOnClose=false")]
    [InlineData("no reset on close=False")]
    public void What_The_Operator_Wrote_Is_Kept(string written)
    {
        var applied = new NpgsqlConnectionStringBuilder(PoolReset.Off($"{ConnectionStrings.Example};{written}"));

        Assert.False(applied.NoResetOnClose);
    }

    [Fact]
    public void After_The_Statement_Preparation_The_Operators_Word_Still_Counts()
    {
        // The hosts apply both, this one last, to the string StatementPreparation rebuilt (with Npgsql's own names).
        var applied = new NpgsqlConnectionStringBuilder(PoolReset.Off(StatementPreparation.Apply($"{ConnectionStrings.Example};NoResetOnClose=false")));

        Assert.False(applied.NoResetOnClose);
        Assert.Equal(StatementPreparation.AutoPreparedStatements, applied.MaxAutoPrepare);
    }
}
