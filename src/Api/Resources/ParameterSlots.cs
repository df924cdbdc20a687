using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// A statement's parameter objects kept by position between its calls (<see cref="WriteParameters"/>,
/// <see cref="ReadParameters"/>): each call fills them in order, giving a parameter a new value instead of making one.
/// </summary>
internal sealed class ParameterSlots
{
    private readonly List<NpgsqlParameter> parameters = [];

    /// <summary>How many positions this fill has reached.</summary>
    public int Filled { get; private set; }

    /// <summary>How many positions any fill has reached.</summary>
    public int Count => parameters.Count;

    /// <summary>The parameter at the next position, of the kind asked for.</summary>
    public TParameter Next<TParameter>() where TParameter : NpgsqlParameter, new()
    {
        if (Filled == parameters.Count)
        {
            parameters.Add(new TParameter());
        }

        // A call site fills the same kinds of value in the same order; a parameter of another kind at this position
        // is replaced, so that no parameter keeps a type resolved for another kind of value.
        if (parameters[Filled].GetType() != typeof(TParameter))
        {
            parameters[Filled] = new TParameter();
        }

        return (TParameter)parameters[Filled++];
    }

    /// <summary>Adds the filled parameters, in order, to a command's collection.</summary>
    public void AddFilledTo(NpgsqlParameterCollection collection)
    {
        for (var i = 0; i < Filled; i++)
        {
            collection.Add(parameters[i]);
        }
    }

    /// <summary>
    /// Makes a command's collection hold the filled parameters, in order: left as it is when it holds them already (the
    /// same command sent again with the same kinds of value), made again otherwise.
    /// </summary>
    public void FillInto(NpgsqlParameterCollection collection)
    {
        if (collection.Count == Filled)
        {
            var same = true;
            for (var i = 0; i < Filled && same; i++)
            {
                same = ReferenceEquals(collection[i], parameters[i]);
            }

            if (same)
            {
                return;
            }
        }

        collection.Clear();
        AddFilledTo(collection);
    }

    /// <summary>The next fill starts at the first position again.</summary>
    public void Rewind() => Filled = 0;
}
