using Mesh.Api.Resources;
using Npgsql;
using NpgsqlTypes;

namespace Mesh.Api.Tests;

/// <summary>
/// A write statement's parameters (<see cref="WriteStatement"/>): filled position by position, sent in a new batch
/// command each call, and after a successful batch kept for the next call, which fills the same parameter objects.
/// </summary>
public sealed class WriteStatementTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Command_CarriesTheValuesInOrder_ValueTypesUnboxed_NullsAsDbNullOfTheirType()
    {
        var statement = new WriteStatement("SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9");
        var uid = Guid.NewGuid();

        var command = statement.Rent().Text("a").Text(null).Value(uid).Value(At).Value(7L).TextArray(["x", "y"]).Integer(null)
            .Integer(443).TextArray(null).Command();

        Assert.Equal("SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9", command.CommandText);
        var parameters = command.Parameters;
        Assert.Equal(9, parameters.Count);
        Assert.Equal("a", parameters[0].Value);
        Assert.Equal(DBNull.Value, parameters[1].Value);
        Assert.Equal(uid, Assert.IsType<NpgsqlParameter<Guid>>(parameters[2]).TypedValue);
        Assert.Equal(At, Assert.IsType<NpgsqlParameter<DateTimeOffset>>(parameters[3]).TypedValue);
        Assert.Equal(7L, Assert.IsType<NpgsqlParameter<long>>(parameters[4]).TypedValue);
        Assert.Equal(new[] { "x", "y" }, parameters[5].Value);
        Assert.Equal(DBNull.Value, parameters[6].Value);
        Assert.Equal(443, parameters[7].Value);
        Assert.Equal(DBNull.Value, parameters[8].Value);
        // A NULL is sent as the type a value at that position is sent as, never as unknown (WriteStatementPreparationTests).
        Assert.Equal(
            [NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Array | NpgsqlDbType.Text, NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Array | NpgsqlDbType.Text],
            new[] { 0, 1, 5, 6, 7, 8 }.Select(i => parameters[i].NpgsqlDbType));
        Assert.All(parameters, p => Assert.True(p.IsPositional()));
    }

    [Fact]
    public void Released_Set_IsFilledAgainByTheNextCall_WithTheSameParameters_InANewCommand()
    {
        var statement = new WriteStatement("SELECT $1, $2");
        var first = statement.Rent().Text("first").Value(1);
        var firstCommand = first.Command();
        var firstParameters = firstCommand.Parameters.ToArray();
        first.Release();

        Assert.Empty(firstCommand.Parameters);
        Assert.Equal(1, statement.IdleCount);
        var second = statement.Rent();
        Assert.Same(first, second);
        Assert.Equal(0, statement.IdleCount);

        var secondCommand = second.Text("second").Value(2).Command();
        Assert.NotSame(firstCommand, secondCommand);
        Assert.Equal(firstParameters, secondCommand.Parameters.ToArray());
        Assert.Equal("second", secondCommand.Parameters[0].Value);
        Assert.Equal(2, ((NpgsqlParameter<int>)secondCommand.Parameters[1]).TypedValue);
    }

    [Fact]
    public void Set_NotReleased_IsNotReused()
    {
        var statement = new WriteStatement("SELECT $1");
        var failed = statement.Rent().Text("a");
        _ = failed.Command();

        Assert.NotSame(failed, statement.Rent());
    }

    [Fact]
    public void Sets_Kept_AreAtMostMaxIdle()
    {
        var statement = new WriteStatement("SELECT $1");
        var sets = Enumerable.Range(0, WriteStatement.MaxIdle + 5).Select(_ => statement.Rent()).ToList();
        foreach (var set in sets)
        {
            _ = set.Text("a").Command();
            set.Release();
        }

        Assert.Equal(WriteStatement.MaxIdle, statement.IdleCount);
    }

    [Fact]
    public void Command_OfASetNotFilledToTheEnd_OrFilledAgainBeforeRelease_Throws()
    {
        var statement = new WriteStatement("SELECT $1, $2");
        var set = statement.Rent().Text("a").Text("b");
        _ = set.Command();
        set.Release();

        var partly = statement.Rent().Text("a");
        Assert.Throws<InvalidOperationException>(partly.Command);

        var sent = new WriteStatement("SELECT $1").Rent().Text("a");
        _ = sent.Command();
        Assert.Throws<InvalidOperationException>(() => sent.Text("b"));
    }

    [Fact]
    public void Position_FilledWithAnotherKindOfValue_GetsAParameterOfThatKind()
    {
        var statement = new WriteStatement("SELECT $1");
        var set = statement.Rent().Value(1L);
        _ = set.Command();
        set.Release();

        var command = statement.Rent().Text("now text").Command();

        Assert.IsType<NpgsqlParameter>(command.Parameters[0]);
        Assert.Equal("now text", command.Parameters[0].Value);
    }
}

internal static class ParameterExtensions
{
    /// <summary>Sent as $n: a parameter without a name.</summary>
    public static bool IsPositional(this NpgsqlParameter parameter) => parameter.ParameterName.Length == 0;
}
