using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Mesh.Api.Resources;

/// <summary>
/// Statement parameter sets kept between calls for reuse (<see cref="WriteStatement"/>, <see cref="ReadParameterSets"/>),
/// at most <see cref="MaxIdle"/> of them: more than the statements that run at once is waste, and a kept set holds on to
/// its last call's values until it is used again.
/// </summary>
internal sealed class IdleSets<TSet> where TSet : class
{
    /// <summary>How many idle sets are kept.</summary>
    public const int MaxIdle = 64;

    private readonly ConcurrentQueue<TSet> idle = new();
    private int count;

    /// <summary>How many sets are kept idle now.</summary>
    public int Count => Volatile.Read(ref count);

    /// <summary>An idle set, if one is kept.</summary>
    public bool TryTake([MaybeNullWhen(false)] out TSet set)
    {
        if (idle.TryDequeue(out set))
        {
            Interlocked.Decrement(ref count);
            return true;
        }

        return false;
    }

    /// <summary>Keeps <paramref name="set"/> for a later call, unless <see cref="MaxIdle"/> are kept already.</summary>
    public void Keep(TSet set)
    {
        if (Interlocked.Increment(ref count) <= MaxIdle)
        {
            idle.Enqueue(set);
        }
        else
        {
            Interlocked.Decrement(ref count);
        }
    }
}
