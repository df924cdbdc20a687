using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Mesh.Model.Resources;

namespace Mesh.Api.Resources;

/// <summary>
/// The Describe answers and list pages this process keeps (<c>Mesh:ReadCache</c>). A Describe answer is kept by the
/// resource's identity as a Describe names it (account, mesh, kind, parent, name: the columns its statement matches and
/// a change-log row names); a list page by its list (account, kind, and the mesh and parent it lists in) and where it
/// starts (the name after which, and the limit). Each is kept only from rows read after a read barrier
/// (<see cref="ReadBarrier"/>), and dropped when the change log names its resource, or a resource of its list
/// (<see cref="Drop"/>), so while it is kept it is the current answer as of the last barrier.
/// </summary>
/// <remarks>
/// A row read from PostgreSQL may be older than a change the barrier applies while the read is under way (the read
/// started before the change committed). <see cref="Epoch"/> rises with every drop, before the entry goes; an answer
/// is kept only if no drop happened since the epoch its reader took after its barrier: <see cref="Keep"/> puts it
/// in, then takes it out again if a drop came meanwhile. Either the drop sees the entry (and removes it) or the
/// keeper sees the drop (and removes its own), so no older answer stays in after the change that replaced it.
/// Pages are kept the same way (<see cref="KeepPage"/>), under their list: a change drops every page of its
/// resource's list at once. Only a page with items is kept: an empty one answered after a check that its mesh or
/// parent exists, which a change of that container (another list's) would have to drop. Bounded: past
/// <see cref="Capacity"/> answers, or as many items in kept pages, each starts over, as <see cref="RenderedPerVersion"/>
/// does.
/// </remarks>
public sealed class KeptAnswers(int capacity)
{
    private readonly ConcurrentDictionary<Key, byte[]> answers = new();
    private readonly ConcurrentDictionary<ListKey, ConcurrentDictionary<PageKey, KeptPage>> pages = new();
    private long epoch;
    private int pageItems;

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

    /// <summary>How many list pages are kept.</summary>
    public int PageCount => pages.Values.Sum(list => list.Count);

    /// <summary>The page kept for <paramref name="request"/> of <paramref name="account"/> after the name <paramref name="after"/>, if one is.</summary>
    public bool TryGetPage(string account, ListRequest request, string? after, out KeptPage page)
    {
        if (pages.TryGetValue(ListKey.Of(account, request), out var list) && list.TryGetValue(new PageKey(after, request.Limit), out var found))
        {
            page = found;
            return true;
        }

        page = null!;
        return false;
    }

    /// <summary>
    /// Keeps <paramref name="page"/> (with items), read from PostgreSQL after a barrier that left <see cref="Epoch"/>
    /// at <paramref name="seenEpoch"/>, unless a change was applied since: as <see cref="Keep"/>, under its list.
    /// </summary>
    public void KeepPage(string account, ListRequest request, string? after, KeptPage page, long seenEpoch)
    {
        if (Epoch != seenEpoch)
        {
            return;
        }

        if (Interlocked.Add(ref pageItems, page.Count) > Capacity)
        {
            pages.Clear();
            Interlocked.Exchange(ref pageItems, page.Count);
        }

        var list = pages.GetOrAdd(ListKey.Of(account, request), static _ => new ConcurrentDictionary<PageKey, KeptPage>());
        var key = new PageKey(after, request.Limit);
        list[key] = page;
        if (Epoch != seenEpoch)
        {
            // As in Keep: a change applied meanwhile may be of this list, and its drop may have come before the put.
            list.TryRemove(KeyValuePair.Create(key, page));
        }
    }

    /// <summary>
    /// The change log named this resource: its kept answer, if any, is no longer the answer, nor is any kept page of
    /// its list.
    /// </summary>
    public void Drop(string account, string meshName, string kind, string parentName, string name)
    {
        Interlocked.Increment(ref epoch);
        answers.TryRemove(new Key(account, meshName, kind, parentName, name), out _);
        pages.TryRemove(ListKey.Of(account, meshName, kind, parentName), out _);
    }

    /// <summary>Drops every kept answer and page: the change log can no longer say which are current.</summary>
    public void DropAll()
    {
        Interlocked.Increment(ref epoch);
        answers.Clear();
        pages.Clear();
    }

    /// <summary>A resource's identity, as a Describe's statement and a change-log row name it.</summary>
    private readonly record struct Key(string Account, string MeshName, string Kind, string ParentName, string Name);

    /// <summary>A list: what a list statement matches (meshes are listed by account alone, so their lists have no mesh).</summary>
    private readonly record struct ListKey(string Account, string MeshName, string Kind, string ParentName)
    {
        public static ListKey Of(string account, ListRequest request) =>
            new(account, request.Kind.IsMesh ? "" : request.MeshName, request.Kind.WireName, request.ParentName);

        /// <summary>The list a resource named by the change log is listed in.</summary>
        public static ListKey Of(string account, string meshName, string kind, string parentName) =>
            new(account, kind == ResourceKind.Mesh.WireName ? "" : meshName, kind, parentName);
    }

    /// <summary>Where a page of its list starts: after the name a nextToken gave (none for the first), and how many it holds at most.</summary>
    private readonly record struct PageKey(string? After, int Limit);
}

/// <summary>
/// A list page as it was answered: its items' JSON array, how many items it holds and its nextToken (null on the last
/// page), so a kept page is answered with the same bytes.
/// </summary>
public sealed record KeptPage(byte[] Items, int Count, string? NextToken)
{
    /// <summary>The List answer: the items under the kind's list member, then the nextToken when there is one.</summary>
    public JsonObject Output(ResourceKind kind)
    {
        var output = new JsonObject { [kind.ListMember] = RawJson.Of(Items) };
        if (NextToken is not null)
        {
            output["nextToken"] = NextToken;
        }

        return output;
    }
}
