using Npgsql;
using NpgsqlTypes;

namespace Mesh.Api.Resources;

/// <summary>
/// One statement of a resource write's batch (<see cref="WriteBatch"/>): its SQL, and sets of its parameters kept
/// between calls, so that a call fills in the values of parameters a previous call made instead of making its own.
/// </summary>
/// <remarks>
/// <para>
/// A create sent 27 parameters for the write function and 10 for the audit record, each a new
/// <see cref="NpgsqlParameter"/> (about 240 bytes) with its value boxed: 14–18% of a create's allocations (issue14u).
/// Npgsql is made for a parameter being given a new value and the command run again; a parameter whose value keeps its
/// type also keeps the type it was resolved to. Value types go in <see cref="NpgsqlParameter{T}"/>, unboxed; Npgsql
/// maps them as it maps the boxed value (DateTimeOffset timestamptz, Guid uuid, long bigint, int integer, short
/// smallint, bool boolean), so PostgreSQL sees the same parameter types as before.
/// </para>
/// <para>
/// The <see cref="NpgsqlBatchCommand"/> itself is new each call: a batch command that Npgsql auto-prepared keeps a
/// reference to its prepared statement on the connection it ran on, and a write takes any connection of the pool.
/// </para>
/// <para>
/// A set goes back only after its batch succeeded and the reader is done with it (<see cref="WriteParameters.Release"/>);
/// a failed or abandoned write's set is left to the collector, so no set is ever in two batches at once.
/// </para>
/// </remarks>
public sealed class WriteStatement(string sql, bool audited = false)
{
    /// <summary>
    /// How many idle sets a statement keeps; more than the writes that run at once (one per write connection) is waste.
    /// A kept set holds on to its last call's values until it is used again.
    /// </summary>
    public const int MaxIdle = IdleSets<WriteParameters>.MaxIdle;

    private readonly IdleSets<WriteParameters> idle = new();

    public string Sql => sql;

    /// <summary>Whether the statement also inserts the call's audit record (<see cref="WriteTransactions.Audited"/>).</summary>
    public bool IsAudited => audited;

    /// <summary>How many sets are kept idle now (for tests).</summary>
    public int IdleCount => idle.Count;

    /// <summary>A set of this statement's parameters to fill in, in the order of their positions ($1, $2, ...).</summary>
    public WriteParameters Rent() => idle.TryTake(out var parameters) ? parameters : new WriteParameters(this);

    internal void Return(WriteParameters parameters) => idle.Keep(parameters);
}

/// <summary>
/// One set of a <see cref="WriteStatement"/>'s parameters, filled in position by position (each call fills every one,
/// in the same order and with the same kinds of value), then sent as one <see cref="NpgsqlBatchCommand"/>.
/// </summary>
public sealed class WriteParameters
{
    private readonly WriteStatement statement;
    private readonly ParameterSlots slots = new();
    private NpgsqlBatchCommand? command;

    internal WriteParameters(WriteStatement statement) => this.statement = statement;

    public WriteStatement Statement => statement;

    /// <summary>A text value; null is sent as a NULL of type text.</summary>
    public WriteParameters Text(string? value) => Typed(NpgsqlDbType.Text, value);

    /// <summary>
    /// A text value given as its UTF-8 (which must be valid UTF-8): sent as text, as <see cref="Text"/> sends a string,
    /// so PostgreSQL gets the same parameter type and the same bytes, without a string made from the bytes here and
    /// encoded back into them by Npgsql (issue14ar).
    /// </summary>
    public WriteParameters Utf8Text(ReadOnlyMemory<byte> value)
    {
        var parameter = Next<NpgsqlParameter<ReadOnlyMemory<byte>>>();
        if (parameter.DataTypeName != "text")
        {
            // Npgsql sends bytes as bytea unless told they are text.
            parameter.DataTypeName = "text";
        }

        parameter.TypedValue = value;
        return this;
    }

    /// <summary>A text array (text[]); null is sent as a NULL of that type.</summary>
    public WriteParameters TextArray(string[]? value) => Typed(NpgsqlDbType.Array | NpgsqlDbType.Text, value);

    /// <summary>An integer that may be missing; null is sent as a NULL of type integer.</summary>
    public WriteParameters Integer(int? value) => Typed(NpgsqlDbType.Integer, value);

    /// <summary>A value of a value type, without boxing.</summary>
    public WriteParameters Value<T>(T value) where T : struct
    {
        Next<NpgsqlParameter<T>>().TypedValue = value;
        return this;
    }

    /// <summary>The statement with the values filled in; call once per fill, and <see cref="Release"/> after its batch succeeded.</summary>
    public NpgsqlBatchCommand Command()
    {
        if (command is not null || slots.Filled != slots.Count)
        {
            throw new InvalidOperationException(
                $"A write statement's parameters were filled {slots.Filled} of {slots.Count} before being sent, or sent twice: {statement.Sql}");
        }

        command = new NpgsqlBatchCommand(statement.Sql);
        slots.AddFilledTo(command.Parameters);
        return command;
    }

    /// <summary>
    /// Takes the parameters out of the sent command (a parameter belongs to one collection at a time) and keeps the set
    /// for the next call of the statement. Only for a batch that succeeded: the reader is closed and nothing of
    /// Npgsql's holds the parameters any more.
    /// </summary>
    public void Release()
    {
        command?.Parameters.Clear();
        command = null;
        slots.Rewind();
        statement.Return(this);
    }

    /// <summary>
    /// A value sent with its type named, so that a NULL goes as the same type as a value would. Npgsql auto-prepares a
    /// statement with the parameter types of the call that reached its threshold, and runs every later call whose types
    /// differ unprepared: PostgreSQL then parses, analyses and plans the whole statement again. A NULL left untyped is
    /// of type unknown, so a create without a clientToken (or a route without a port) made the calls with one unprepared
    /// on that connection for the rest of its life.
    /// </summary>
    private WriteParameters Typed(NpgsqlDbType type, object? value)
    {
        var parameter = Next<NpgsqlParameter>();
        if (parameter.NpgsqlDbType != type)
        {
            parameter.NpgsqlDbType = type;
        }

        parameter.Value = value ?? DBNull.Value;
        return this;
    }

    private TParameter Next<TParameter>() where TParameter : NpgsqlParameter, new()
    {
        if (command is not null)
        {
            throw new InvalidOperationException($"A write statement's parameters were filled again before being released: {statement.Sql}");
        }

        return slots.Next<TParameter>();
    }
}
