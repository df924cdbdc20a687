using System.Collections.Frozen;
using System.Text.Json;
using Mesh.Model.Observability;
using Mesh.Model.Specs;

namespace Mesh.Model.Graph;

/// <summary>
/// Every resource of one mesh, parsed, with lookups. Collections are sorted by name (ordinal), so two graphs
/// built from the same rows are equal whatever order the rows came in, and anything derived from a graph
/// can be deterministic.
/// </summary>
public sealed record MeshGraph
{
    private FrozenDictionary<string, MeshResource<VirtualNodeSpec>>? _nodes;
    private FrozenDictionary<string, MeshResource<VirtualServiceSpec>>? _services;
    private FrozenDictionary<string, VirtualRouterResource>? _routers;
    private FrozenDictionary<string, VirtualGatewayResource>? _gateways;

    public MeshGraph()
    {
    }

    /// <summary>Used by <c>with</c>: copies the resources but not the lookup caches, which may no longer fit.</summary>
    private MeshGraph(MeshGraph original)
    {
        MeshName = original.MeshName;
        MeshVersion = original.MeshVersion;
        Mesh = original.Mesh;
        Observability = original.Observability;
        VirtualNodes = original.VirtualNodes;
        VirtualServices = original.VirtualServices;
        VirtualRouters = original.VirtualRouters;
        VirtualGateways = original.VirtualGateways;
        CloudMap = original.CloudMap;
    }

    public required string MeshName { get; init; }

    public long MeshVersion { get; init; }

    public required MeshSpec Mesh { get; init; }

    /// <summary>Settings the mesh carries as tags (App Mesh's API has no field for them), e.g. its tracer.</summary>
    public MeshObservability Observability { get; init; } = MeshObservability.None;

    public EquatableList<MeshResource<VirtualNodeSpec>> VirtualNodes { get; init; } = [];

    public EquatableList<MeshResource<VirtualServiceSpec>> VirtualServices { get; init; } = [];

    public EquatableList<VirtualRouterResource> VirtualRouters { get; init; } = [];

    public EquatableList<VirtualGatewayResource> VirtualGateways { get; init; } = [];

    /// <summary>
    /// The Cloud Map services the virtual nodes discover through and their instances, read with the mesh (the
    /// xDS server's loader sets it; <see cref="Build"/> leaves it empty, so every such service is unknown).
    /// </summary>
    public CloudMapRegistry CloudMap { get; init; } = CloudMapRegistry.Empty;

    public MeshResource<VirtualNodeSpec>? FindVirtualNode(string name) =>
        (_nodes ??= VirtualNodes.ToFrozenDictionary(n => n.Name, StringComparer.Ordinal)).GetValueOrDefault(name);

    public MeshResource<VirtualServiceSpec>? FindVirtualService(string name) =>
        (_services ??= VirtualServices.ToFrozenDictionary(s => s.Name, StringComparer.Ordinal)).GetValueOrDefault(name);

    public VirtualRouterResource? FindVirtualRouter(string name) =>
        (_routers ??= VirtualRouters.ToFrozenDictionary(r => r.Name, StringComparer.Ordinal)).GetValueOrDefault(name);

    public VirtualGatewayResource? FindVirtualGateway(string name) =>
        (_gateways ??= VirtualGateways.ToFrozenDictionary(g => g.Name, StringComparer.Ordinal)).GetValueOrDefault(name);

    /// <summary>The routes of a router, sorted by name; empty when the router does not exist.</summary>
    public EquatableList<MeshResource<RouteSpec>> RoutesOf(string virtualRouterName) =>
        FindVirtualRouter(virtualRouterName)?.Routes ?? [];

    /// <summary>The gateway routes of a gateway, sorted by name; empty when the gateway does not exist.</summary>
    public EquatableList<MeshResource<GatewayRouteSpec>> GatewayRoutesOf(string virtualGatewayName) =>
        FindVirtualGateway(virtualGatewayName)?.GatewayRoutes ?? [];

    /// <summary>
    /// The node or router that provides a virtual service, or null when the service does not exist, has no
    /// provider, or names a provider that is not in the mesh.
    /// </summary>
    public ServiceProvider? ProviderOf(string virtualServiceName)
    {
        var provider = FindVirtualService(virtualServiceName)?.Spec.Provider;
        if (provider?.VirtualNode is { } node)
        {
            return FindVirtualNode(node.VirtualNodeName) is { } n ? new ServiceProvider(n, null) : null;
        }

        if (provider?.VirtualRouter is { } router)
        {
            return FindVirtualRouter(router.VirtualRouterName) is { } r ? new ServiceProvider(null, r) : null;
        }

        return null;
    }

    /// <summary>
    /// Builds the graph of one mesh from stored rows (any order). Every row that cannot be used is reported at
    /// once in an <see cref="InvalidMeshGraphException"/>: bad JSON, an unknown kind, a second mesh row, a
    /// duplicate name, or a route or gateway route whose parent is missing.
    /// </summary>
    public static MeshGraph Build(IEnumerable<MeshResourceRow> rows) => Build(rows, null, out _);

    /// <summary>
    /// <see cref="Build(IEnumerable{MeshResourceRow})"/>, reusing the resources an earlier build of the same mesh
    /// parsed (<paramref name="previous"/>) for every row that did not change, and returning in
    /// <paramref name="parsed"/> what this build parsed, for the next. The graph is equal to one built from scratch.
    /// </summary>
    public static MeshGraph Build(IEnumerable<MeshResourceRow> rows, ParsedRows? previous, out ParsedRows parsed)
    {
        previous ??= ParsedRows.Empty;
        var kept = new ParsedRows.Builder();
        var errors = new List<string>();
        MeshResource<MeshSpec>? mesh = null;
        var observability = MeshObservability.None;
        var nodes = new List<MeshResource<VirtualNodeSpec>>();
        var services = new List<MeshResource<VirtualServiceSpec>>();
        var routers = new List<MeshResource<VirtualRouterSpec>>();
        var gateways = new List<MeshResource<VirtualGatewaySpec>>();
        var routes = new List<(string Parent, MeshResource<RouteSpec> Route)>();
        var gatewayRoutes = new List<(string Parent, MeshResource<GatewayRouteSpec> Route)>();

        foreach (var row in rows)
        {
            switch (row.Kind)
            {
                case MeshResourceKinds.Mesh:
                    if (mesh is not null)
                    {
                        errors.Add($"mesh/{row.Name}: more than one mesh row (already have mesh/{mesh.Name})");
                    }
                    else if (Parse<MeshSpec>(row, errors, previous, kept) is { } m)
                    {
                        mesh = m;
                        observability = MeshObservability.FromTagsJson(row.TagsJson);
                    }

                    break;
                case MeshResourceKinds.VirtualNode:
                    Add(nodes, Parse<VirtualNodeSpec>(row, errors, previous, kept));
                    break;
                case MeshResourceKinds.VirtualService:
                    Add(services, Parse<VirtualServiceSpec>(row, errors, previous, kept));
                    break;
                case MeshResourceKinds.VirtualRouter:
                    Add(routers, Parse<VirtualRouterSpec>(row, errors, previous, kept));
                    break;
                case MeshResourceKinds.VirtualGateway:
                    Add(gateways, Parse<VirtualGatewaySpec>(row, errors, previous, kept));
                    break;
                case MeshResourceKinds.Route:
                    if (Parse<RouteSpec>(row, errors, previous, kept) is { } route)
                    {
                        routes.Add((row.ParentName ?? "", route));
                    }

                    break;
                case MeshResourceKinds.GatewayRoute:
                    if (Parse<GatewayRouteSpec>(row, errors, previous, kept) is { } gatewayRoute)
                    {
                        gatewayRoutes.Add((row.ParentName ?? "", gatewayRoute));
                    }

                    break;
                default:
                    errors.Add($"{row.Kind}/{row.Name}: unknown resource kind");
                    break;
            }
        }

        if (mesh is null && errors.Count == 0)
        {
            errors.Add("no mesh row");
        }

        CheckUnique(MeshResourceKinds.VirtualNode, nodes.Select(n => n.Name), errors);
        CheckUnique(MeshResourceKinds.VirtualService, services.Select(n => n.Name), errors);
        CheckUnique(MeshResourceKinds.VirtualRouter, routers.Select(n => n.Name), errors);
        CheckUnique(MeshResourceKinds.VirtualGateway, gateways.Select(n => n.Name), errors);
        CheckUnique(MeshResourceKinds.Route, routes.Select(r => r.Parent + "/" + r.Route.Name), errors);
        CheckUnique(MeshResourceKinds.GatewayRoute, gatewayRoutes.Select(r => r.Parent + "/" + r.Route.Name), errors);

        var routerNames = routers.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (parent, route) in routes.Where(r => !routerNames.Contains(r.Parent)))
        {
            errors.Add($"route/{route.Name}: virtualRouter/{parent} does not exist");
        }

        var gatewayNames = gateways.Select(g => g.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (parent, route) in gatewayRoutes.Where(r => !gatewayNames.Contains(r.Parent)))
        {
            errors.Add($"gatewayRoute/{route.Name}: virtualGateway/{parent} does not exist");
        }

        if (errors.Count > 0)
        {
            throw new InvalidMeshGraphException(errors);
        }

        parsed = kept.ToParsedRows();
        return new MeshGraph
        {
            MeshName = mesh!.Name,
            MeshVersion = mesh.Version,
            Mesh = mesh.Spec,
            Observability = observability,
            VirtualNodes = Sorted(nodes, n => n.Name),
            VirtualServices = Sorted(services, s => s.Name),
            VirtualRouters = Sorted(
                routers.Select(r => new VirtualRouterResource(
                    r.Name,
                    r.Version,
                    r.Spec,
                    Sorted(routes.Where(x => x.Parent == r.Name).Select(x => x.Route), x => x.Name))),
                r => r.Name),
            VirtualGateways = Sorted(
                gateways.Select(g => new VirtualGatewayResource(
                    g.Name,
                    g.Version,
                    g.Spec,
                    Sorted(gatewayRoutes.Where(x => x.Parent == g.Name).Select(x => x.Route), x => x.Name))),
                g => g.Name),
        };
    }

    public bool Equals(MeshGraph? other) =>
        other is not null
        && MeshName == other.MeshName
        && MeshVersion == other.MeshVersion
        && Mesh == other.Mesh
        && Observability == other.Observability
        && VirtualNodes == other.VirtualNodes
        && VirtualServices == other.VirtualServices
        && VirtualRouters == other.VirtualRouters
        && VirtualGateways == other.VirtualGateways
        && CloudMap == other.CloudMap;

    public override int GetHashCode() =>
        HashCode.Combine(HashCode.Combine(MeshName, MeshVersion, Mesh, Observability, VirtualNodes, VirtualServices, VirtualRouters, VirtualGateways), CloudMap);

    private static MeshResource<T>? Parse<T>(MeshResourceRow row, List<string> errors, ParsedRows previous, ParsedRows.Builder kept)
    {
        try
        {
            var resource = previous.Find<T>(row) ?? new MeshResource<T>(row.Name, row.Version, SpecJson.Deserialize<T>(row.SpecJson));
            kept.Add(row, resource);
            return resource;
        }
        catch (JsonException e)
        {
            var where = string.IsNullOrEmpty(row.ParentName) ? "" : row.ParentName + "/";
            errors.Add($"{row.Kind}/{where}{row.Name}: spec is not a valid {typeof(T).Name}: {e.Message}");
            return null;
        }
    }

    private static void Add<T>(List<MeshResource<T>> list, MeshResource<T>? item)
    {
        if (item is not null)
        {
            list.Add(item);
        }
    }

    private static void CheckUnique(string kind, IEnumerable<string> names, List<string> errors)
    {
        foreach (var group in names.GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            errors.Add($"{kind}/{group.Key}: appears {group.Count()} times");
        }
    }

    private static EquatableList<T> Sorted<T>(IEnumerable<T> items, Func<T, string> name) =>
        items.OrderBy(name, StringComparer.Ordinal).ToEquatableList();
}
