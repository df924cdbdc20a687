namespace Mesh.Model.Graph;

/// <summary>
/// What changed from one graph of a mesh to the next: the resources added, removed or changed (version or spec;
/// a router when one of its routes did, a gateway when one of its gateway routes did; a Cloud Map service when
/// its instances did), or <see cref="Everything"/> when the mesh resource itself changed (its spec, version or
/// tags, which every proxy's configuration reads) or the mesh appeared or disappeared.
/// </summary>
public sealed class MeshGraphDiff
{
    private readonly HashSet<GraphResourceKey> _changed;

    private MeshGraphDiff(bool everything, HashSet<GraphResourceKey> changed)
    {
        Everything = everything;
        _changed = changed;
    }

    /// <summary>Every proxy of the mesh may see something new.</summary>
    public bool Everything { get; }

    /// <summary>The resources added, removed or changed (empty when <see cref="Everything"/>).</summary>
    public IReadOnlySet<GraphResourceKey> Changed => _changed;

    /// <summary>Nothing a proxy can see changed.</summary>
    public bool IsEmpty => !Everything && _changed.Count == 0;

    /// <summary>Whether a configuration that reads <paramref name="key"/> may have changed.</summary>
    public bool Touches(GraphResourceKey key) => Everything || _changed.Contains(key);

    public static MeshGraphDiff Between(MeshGraph? old, MeshGraph? @new)
    {
        if (ReferenceEquals(old, @new))
        {
            return new MeshGraphDiff(false, []);
        }

        if (old is null || @new is null
            || old.MeshName != @new.MeshName
            || old.MeshVersion != @new.MeshVersion
            || old.Mesh != @new.Mesh
            || old.Observability != @new.Observability)
        {
            return new MeshGraphDiff(true, []);
        }

        var changed = new HashSet<GraphResourceKey>();
        Compare(old.VirtualNodes, @new.VirtualNodes, n => GraphResourceKey.VirtualNode(n.Name), changed);
        Compare(old.VirtualServices, @new.VirtualServices, s => GraphResourceKey.VirtualService(s.Name), changed);
        Compare(old.VirtualRouters, @new.VirtualRouters, r => GraphResourceKey.VirtualRouter(r.Name), changed);
        Compare(old.VirtualGateways, @new.VirtualGateways, g => GraphResourceKey.VirtualGateway(g.Name), changed);
        Compare(old.CloudMap.Services, @new.CloudMap.Services, s => GraphResourceKey.CloudMapService(s.NamespaceName, s.ServiceName), changed);

        return new MeshGraphDiff(false, changed);
    }

    /// <summary>Adds every key present in one list and not the other, or present in both with unequal values.</summary>
    private static void Compare<T>(IReadOnlyList<T> old, IReadOnlyList<T> @new, Func<T, GraphResourceKey> key, HashSet<GraphResourceKey> changed)
        where T : class
    {
        if (ReferenceEquals(old, @new))
        {
            return;
        }

        var before = new Dictionary<GraphResourceKey, T>(old.Count);
        foreach (var item in old)
        {
            before[key(item)] = item;
        }

        foreach (var item in @new)
        {
            var itemKey = key(item);
            if (!before.Remove(itemKey, out var previous) || !(ReferenceEquals(previous, item) || previous.Equals(item)))
            {
                changed.Add(itemKey);
            }
        }

        foreach (var gone in before.Keys)
        {
            changed.Add(gone);
        }
    }
}
