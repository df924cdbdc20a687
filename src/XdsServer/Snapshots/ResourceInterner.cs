using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Snapshots;

/// <summary>
/// Keeps one instance of each distinct resource (type, name, content version), so that a cluster shared by many
/// proxy identities is held, and packed, once. Not thread-safe: the snapshot cache calls it under its lock.
/// </summary>
internal sealed class ResourceInterner
{
    private Dictionary<(string Type, string Name, string Version, bool OnDemand), XdsResource> _resources = [];

    public int Count => _resources.Count;

    public XdsResource Intern(XdsResource resource)
    {
        var key = (resource.TypeUrl, resource.Name, resource.Version, resource.OnDemandOnly);
        if (_resources.TryGetValue(key, out var existing))
        {
            return existing;
        }

        _resources[key] = resource;
        return resource;
    }

    /// <summary>Forgets every resource that no live snapshot holds any more.</summary>
    public void Retain(IEnumerable<Snapshot> live)
    {
        var kept = new Dictionary<(string, string, string, bool), XdsResource>();
        foreach (var r in live.SelectMany(s => s.Resources))
        {
            kept[(r.TypeUrl, r.Name, r.Version, r.OnDemandOnly)] = r;
        }

        _resources = kept;
    }
}
