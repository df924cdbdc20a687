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

    /// <summary>
    /// What is needed, in order, with the spec's path that names a reference (null for a container). The message a
    /// missing one gets is worded only when the function finds it missing (<see cref="Refusal"/>): every write made
    /// those strings, and almost none is refused (issue14ar).
    /// </summary>
    private readonly List<(ResourceId Id, string? Path)> needed = [];

    private readonly (int Port, string Path)? matchPort;

    private WriteDependencies(ResourceKind kind, ResourceId id, JsonObject? spec)
    {
        this.kind = kind;
        this.id = id;
        if (!kind.IsMesh)
        {
            needed.Add((ResourceId.ForMesh(id.MeshName), null));
        }

        if (kind.Parent is { } parentKind)
        {
            needed.Add((new ResourceId(parentKind, id.MeshName, "", id.ParentName), null));
        }

        Containers = needed.Count;
        if (spec is null)
        {
            Keys = [];
            return;
        }

        var references = SpecReferences.Of(kind, spec);
        if (references.Count > 0)
        {
            var seen = new HashSet<ResourceId>();
            foreach (var reference in references)
            {
                // A resource named twice is checked once, where the spec first names it.
                var target = new ResourceId(reference.Kind, id.MeshName, "", reference.Name);
                if (seen.Add(target))
                {
                    needed.Add((target, reference.Path));
                }
            }

            Keys = references.Select(r => r.Key).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        }
        else
        {
            Keys = [];
        }

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

    public string[] Kinds => Each(static id => id.Kind.WireName);

    public string[] Parents => Each(static id => id.ParentName);

    public string[] Names => Each(static id => id.Name);

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
            return AppMeshException.NotFound(index == 0 ? $"{Capitalize(id.Describe())} does not exist." : Missing(needed[index - 1]));
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

    /// <summary>What a NotFoundException says of a needed resource that is missing: a container by itself, a reference by the spec's path that names it.</summary>
    private static string Missing((ResourceId Id, string? Path) needed) => needed.Path is { } path
        ? $"{path}: {needed.Id.Describe()} does not exist."
        : $"{Capitalize(needed.Id.Describe())} does not exist.";

    /// <summary>One value of each needed resource, in order, into an array of its own (a parameter of the write function).</summary>
    private string[] Each(Func<ResourceId, string> value)
    {
        var values = new string[needed.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = value(needed[i].Id);
        }

        return values;
    }

    private static string Capitalize(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
