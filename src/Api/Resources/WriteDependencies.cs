using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Model.Resources;
using Mesh.Model.Wire;
using Mesh.Persistence;
using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// What a create or update depends on: its mesh, its parent, every resource its spec names. <see cref="Lock"/> is
/// the statements that lock them against deletion until the write commits and read them (see
/// <see cref="ResourceLocks.Share"/>), sent in the write's first batch; <see cref="Check"/> reads what they
/// returned, says which is missing, and returns the spec's references as keys for the refs column.
/// </summary>
public sealed class WriteDependencies
{
    private readonly ResourceKind kind;
    private readonly ResourceId id;
    private readonly JsonObject spec;
    private readonly IReadOnlyList<SpecReference> references;
    private readonly ResourceId mesh;
    private readonly ResourceId? parent;
    private readonly List<(SpecReference Reference, ResourceId Id)> targets;
    private readonly HashSet<ResourceId> wanted;

    private WriteDependencies(ResourceKind kind, ResourceId id, JsonObject spec)
    {
        this.kind = kind;
        this.id = id;
        this.spec = spec;
        references = SpecReferences.Of(kind, spec);
        mesh = ResourceId.ForMesh(id.MeshName);
        parent = kind.Parent is { } parentKind ? new ResourceId(parentKind, id.MeshName, "", id.ParentName) : null;
        targets = references.Select(r => (Reference: r, Id: new ResourceId(r.Kind, id.MeshName, "", r.Name))).ToList();
        wanted = new HashSet<ResourceId>(targets.Select(t => t.Id));
        if (!kind.IsMesh)
        {
            wanted.Add(mesh);
        }

        if (parent is not null)
        {
            wanted.Add(parent);
        }
    }

    public static WriteDependencies Of(ResourceKind kind, ResourceId id, JsonObject spec) => new(kind, id, spec);

    public IEnumerable<NpgsqlBatchCommand> Lock(string account) => ResourceLocks.Share(account, id.MeshName, wanted);

    /// <summary>How many results <see cref="Lock"/> makes; the rows <see cref="Check"/> reads are the last of them.</summary>
    public const int ResultCount = ResourceLocks.LockResults + 1;

    /// <summary>Throws NotFound for the first missing dependency; returns the refs column's keys.</summary>
    public string[] Check(IReadOnlyList<object?[]> lockedRows)
    {
        var held = lockedRows.Select(ResourceRows.From).ToList();
        ResourceEntity? Held(ResourceId target) => held.FirstOrDefault(r =>
            r.Kind == target.Kind.WireName && r.ParentName == target.ParentName && r.Name == target.Name);

        if (!kind.IsMesh && Held(mesh) is null)
        {
            throw AppMeshException.NotFound($"{Capitalize(mesh.Describe())} does not exist.");
        }

        var parentRow = parent is null ? null : Held(parent) ?? throw AppMeshException.NotFound($"{Capitalize(parent.Describe())} does not exist.");
        foreach (var (reference, target) in targets)
        {
            if (Held(target) is null)
            {
                throw AppMeshException.NotFound($"{reference.Path}: {target.Describe()} does not exist.");
            }
        }

        if (kind == ResourceKind.Route && parentRow is not null)
        {
            CheckRoutePort(parentRow);
        }

        return references.Select(r => r.Key).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>A route on a router with several listeners must say which one it belongs to.</summary>
    private void CheckRoutePort(ResourceEntity router)
    {
        var ports = SpecRules.ListenerPorts(JsonNode.Parse(router.Spec)!.AsObject());
        var matchPort = SpecRules.RouteMatchPort(spec);
        if (matchPort is { } named && ports.Count > 0 && !ports.Contains(named.Port))
        {
            throw AppMeshException.Invalid([new Violation(named.Path,
                $"port {named.Port} is not a listener of virtual router '{router.Name}' (listeners: {string.Join(", ", ports)})")]);
        }

        if (matchPort is null && ports.Count > 1)
        {
            throw AppMeshException.Invalid([new Violation("spec.<protocol>Route.match.port",
                $"is required because virtual router '{router.Name}' has {ports.Count} listeners ({string.Join(", ", ports)})")]);
        }
    }

    private static string Capitalize(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
