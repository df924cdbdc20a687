using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// Sets of a read statement's parameters kept between calls (as <see cref="WriteStatement"/> keeps a write's), for the
/// statements of one call site: each of its calls fills the same kinds of value in the same positions. A set keeps the
/// command it last sent too, and sends the next fill with it.
/// </summary>
/// <remarks>
/// A Describe sent five new <see cref="NpgsqlParameter"/> objects (about 240 bytes each) per statement and a list page
/// four to six: the largest single part of a Describe's allocations (10%, issue14z). The command was new per call too
/// (the read source's, with its parameter collection and, multiplexed, the completion it waits on); a set now keeps it
/// for the next call of the same read source (issue14am). A set goes back only once its statement's reader is closed
/// without an error: a failed or cancelled read's set, and its command, are left to the collector, so a set and its
/// command are never in two reads at once, even while Npgsql's multiplexing still holds a cancelled command.
/// </remarks>
public sealed class ReadParameterSets
{
    /// <summary>How many idle sets are kept: more than the reads that run at once is waste.</summary>
    public const int MaxIdle = IdleSets<ReadParameters>.MaxIdle;

    private readonly IdleSets<ReadParameters> idle = new();

    /// <summary>How many sets are kept idle now (for tests).</summary>
    public int IdleCount => idle.Count;

    /// <summary>A set to fill in, in the order of the positions ($1, $2, ...).</summary>
    public ReadParameters Rent() => idle.TryTake(out var parameters) ? parameters : new ReadParameters(this);

    internal void Return(ReadParameters parameters) => idle.Keep(parameters);
}

/// <summary>One set of parameters of a read statement, filled position by position, then given to one command.</summary>
public sealed class ReadParameters
{
    private readonly ReadParameterSets sets;
    private readonly ParameterSlots slots = new();

    /// <summary>The command of the last fill, and the read source it belongs to: sent again for the same source.</summary>
    private NpgsqlCommand? kept;
    private ReadDatabase? keptFor;
    private bool sent;

    internal ReadParameters(ReadParameterSets sets) => this.sets = sets;

    /// <summary>A text value (never null: the reads' values are names and ids).</summary>
    public ReadParameters Text(string value)
    {
        Next<NpgsqlParameter>().Value = value;
        return this;
    }

    /// <summary>A value of a value type, without boxing.</summary>
    public ReadParameters Value<T>(T value) where T : struct
    {
        Next<NpgsqlParameter<T>>().TypedValue = value;
        return this;
    }

    /// <summary>
    /// A command of <paramref name="reads"/> for <paramref name="sql"/> with the values filled in; once per fill. It is the
    /// set's own (the last fill's, for the same read source): the caller executes it and closes its reader, and does not
    /// dispose it.
    /// </summary>
    public NpgsqlCommand Command(ReadDatabase reads, string sql)
    {
        if (sent)
        {
            throw new InvalidOperationException($"A read statement's parameters were sent twice: {sql}");
        }

        if (kept is null || keptFor != reads)
        {
            // The parameters belong to one collection at a time: out of the other source's command first.
            kept?.Parameters.Clear();
            kept = reads.Command(sql);
            keptFor = reads;
        }
        else if (kept.CommandText != sql)
        {
            kept.CommandText = sql;
        }

        slots.FillInto(kept.Parameters);
        sent = true;
        return kept;
    }

    /// <summary>
    /// Keeps the set, with its command and parameters, for the next call. Only once the command's reader is closed and
    /// the read succeeded.
    /// </summary>
    public void Release()
    {
        sent = false;
        slots.Rewind();
        sets.Return(this);
    }

    private TParameter Next<TParameter>() where TParameter : NpgsqlParameter, new()
    {
        if (sent)
        {
            throw new InvalidOperationException("A read statement's parameters were filled again before being released.");
        }

        return slots.Next<TParameter>();
    }
}
