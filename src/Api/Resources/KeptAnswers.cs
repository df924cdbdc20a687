using System.Collections.Concurrent;
using Mesh.Model.Resources;

namespace Mesh.Api.Resources;

/// <summary>
/// The Describe answers this process keeps (<c>Mesh:ReadCache</c>), by the resource's identity as a Describe names it
/// (account, mesh, kind, parent, name: the columns its statement matches and a change-log row names). An answer is
/// kept only from a row read after a read barrier (<see cref="ReadBarrier"/>), and dropped when the change log names
/// its resource (<see cref="Drop"/>), so while it is kept it is the row's current answer as of the last barrier.
/// </summary>
/// <remarks>
/// A row read from PostgreSQL may be older than a change the barrier applies while the read is under way (the read
/// started before the change committed). <see cref="Epoch"/> rises with every drop, before the entry goes; an answer
/// is kept only if no drop happened since the epoch its reader took after its barrier: <see cref="Keep"/> puts it
/// in, then takes it out again if a drop came meanwhile. Either the drop sees the entry (and removes it) or the
/// keeper sees the drop (and removes its own), so no older answer stays in after the change that replaced it.
/// Bounded: past <see cref="Capacity"/> entries it starts over, as <see cref="RenderedPerVersion"/> does.
/// </remarks>
public sealed class KeptAnswers(int capacity)
{
    private readonly ConcurrentDictionary<Key, byte[]> answers = new();
    private long epoch;

    public int Capacity { get; } = capacity;

    /// <summary>How many answers are kept.</summary>
    public int Count => answers.Count;

    /// <summary>Rises with every change applied (and with every drop of everything).</summary>
    public long Epoch => Interlocked.Read(ref epoch);

    /// <summary>The answer kept for <paramref name="id"/> of <paramref name="account"/>, if one is.</summary>
    public bool TryGet(string account, ResourceId id, out byte[] answer) =>
        answers.TryGetValue(new Key(account, id.MeshName, id.Kind.WireName, id.ParentName, id.Name), out answer!);

    /// <summary>
    /// Keeps <paramref name="answer"/>, read from PostgreSQL after a barrier that left <see cref="Epoch"/> at
    /// <paramref name="seenEpoch"/>, unless a change was applied since.
    /// </summary>
    public void Keep(string account, ResourceId id, byte[] answer, long seenEpoch)
    {
        if (Epoch != seenEpoch)
        {
            return;
        }

        if (answers.Count >= Capacity)
        {
            answers.Clear();
        }

        var key = new Key(account, id.MeshName, id.Kind.WireName, id.ParentName, id.Name);
        answers[key] = answer;
        if (Epoch != seenEpoch)
        {
            // A change was applied between the check and the put: it may be this resource's, and its drop may have
            // come before the put. Only this answer is taken out (a newer one put meanwhile stays).
            answers.TryRemove(KeyValuePair.Create(key, answer));
        }
    }

    /// <summary>The change log named this resource: its kept answer, if any, is no longer the answer.</summary>
    public void Drop(string account, string meshName, string kind, string parentName, string name)
    {
        Interlocked.Increment(ref epoch);
        answers.TryRemove(new Key(account, meshName, kind, parentName, name), out _);
    }

    /// <summary>Drops every kept answer: the change log can no longer say which are current.</summary>
    public void DropAll()
    {
        Interlocked.Increment(ref epoch);
        answers.Clear();
    }

    /// <summary>A resource's identity, as a Describe's statement and a change-log row name it.</summary>
    private readonly record struct Key(string Account, string MeshName, string Kind, string ParentName, string Name);
}
