using System.Globalization;
using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Model.Resources;
using Mesh.Model.Wire;

namespace Mesh.Api.Resources;

/// <summary>
/// What a write needs to exist, in the order a NotFoundException names the first missing one: its mesh, its parent
/// (the containers), then, for a create or update, every resource its spec names. The write function locks them
/// against deletion and checks them (migration <c>WriteFunctions</c>); <see cref="Refusal"/> words what it found
/// missing, or the route's port that does not fit its router.
/// </summary>
public sealed class WriteDependencies
{
    private readonly ResourceKind kind;
    private readonly ResourceId id;
    private readonly List<(ResourceId Id, string Missing)> needed = [];
    private readonly (int Port, string Path)? matchPort;

    private WriteDependencies(ResourceKind kind, ResourceId id, JsonObject? spec)
    {
        this.kind = kind;
        this.id = id;
        if (!kind.IsMesh)
        {
            var mesh = ResourceId.ForMesh(id.MeshName);
            needed.Add((mesh, $"{Capitalize(mesh.Describe())} does not exist."));
        }

        if (kind.Parent is { } parentKind)
        {
            var parent = new ResourceId(parentKind, id.MeshName, "", id.ParentName);
            needed.Add((parent, $"{Capitalize(parent.Describe())} does not exist."));
        }

        Containers = needed.Count;
        if (spec is null)
        {
            Keys = [];
            return;
        }

        var references = SpecReferences.Of(kind, spec);
        var seen = new HashSet<ResourceId>();
        foreach (var reference in references)
        {
            // A resource named twice is checked once, where the spec first names it.
            var target = new ResourceId(reference.Kind, id.MeshName, "", reference.Name);
            if (seen.Add(target))
            {
                needed.Add((target, $"{reference.Path}: {target.Describe()} does not exist."));
            }
        }

        Keys = references.Select(r => r.Key).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (kind == ResourceKind.Route)
        {
            matchPort = SpecRules.RouteMatchPort(spec);
        }
    }

    /// <summary>What a create or update of <paramref name="id"/> with <paramref name="spec"/> needs.</summary>
    public static WriteDependencies Of(ResourceKind kind, ResourceId id, JsonObject spec) => new(kind, id, spec);

    /// <summary>Only the containers: what a delete names when the resource is not there.</summary>
    public static WriteDependencies ContainersOf(ResourceKind kind, ResourceId id) => new(kind, id, null);

    /// <summary>How many of the needed resources are containers (the mesh, the parent); they come first.</summary>
    public int Containers { get; }

    public string[] Kinds => needed.Select(n => n.Id.Kind.WireName).ToArray();

    public string[] Parents => needed.Select(n => n.Id.ParentName).ToArray();

    public string[] Names => needed.Select(n => n.Id.Name).ToArray();

    /// <summary>The spec's references as keys for the refs column, sorted and without repeats.</summary>
    public string[] Keys { get; }

    /// <summary>Whether the write is a route's, whose port the function checks against its router's listeners.</summary>
    public bool ChecksRoutePort => kind == ResourceKind.Route;

    /// <summary>The port a route's match names, if any.</summary>
    public int? MatchPort => matchPort?.Port;

    /// <summary>The NotFoundException for a missing resource, or the BadRequestException for a route's port; null for any other error.</summary>
    public AppMeshException? Refusal(Exception error)
    {
        if (WriteRefusals.Facts(error, WriteRefusals.Missing) is { } position)
        {
            var index = int.Parse(position, CultureInfo.InvariantCulture);
            return AppMeshException.NotFound(index == 0 ? $"{Capitalize(id.Describe())} does not exist." : needed[index - 1].Missing);
        }

        if (WriteRefusals.Facts(error, WriteRefusals.RoutePort) is { } ports)
        {
            var count = ports.Length == 0 ? 0 : ports.Split(", ").Length;
            return matchPort is { } named
                ? AppMeshException.Invalid([new Violation(named.Path,
                    $"port {named.Port} is not a listener of virtual router '{id.ParentName}' (listeners: {ports})")])
                : AppMeshException.Invalid([new Violation("spec.<protocol>Route.match.port",
                    $"is required because virtual router '{id.ParentName}' has {count} listeners ({ports})")]);
        }

        return null;
    }

    private static string Capitalize(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
