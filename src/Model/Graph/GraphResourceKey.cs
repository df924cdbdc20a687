namespace Mesh.Model.Graph;

/// <summary>
/// One resource of a mesh graph as a proxy's configuration can depend on it, named whether or not it exists (a
/// backend may name a virtual service that is created later). Routes and gateway routes are part of their router
/// or gateway: whoever reads a router reads its routes. A Cloud Map service is named by namespace and service.
/// </summary>
public readonly record struct GraphResourceKey(GraphResourceKind Kind, string Name, string Namespace = "")
{
    public static GraphResourceKey VirtualNode(string name) => new(GraphResourceKind.VirtualNode, name);

    public static GraphResourceKey VirtualService(string name) => new(GraphResourceKind.VirtualService, name);

    public static GraphResourceKey VirtualRouter(string name) => new(GraphResourceKind.VirtualRouter, name);

    public static GraphResourceKey VirtualGateway(string name) => new(GraphResourceKind.VirtualGateway, name);

    public static GraphResourceKey CloudMapService(string namespaceName, string serviceName) =>
        new(GraphResourceKind.CloudMapService, serviceName, namespaceName);

    public override string ToString() => Kind == GraphResourceKind.CloudMapService
        ? $"cloudMapService/{Namespace}/{Name}"
        : $"{Kind}/{Name}";
}

/// <summary>The kinds of <see cref="GraphResourceKey"/>.</summary>
public enum GraphResourceKind
{
    VirtualNode,
    VirtualService,

    /// <summary>A virtual router with its routes.</summary>
    VirtualRouter,

    /// <summary>A virtual gateway with its gateway routes.</summary>
    VirtualGateway,

    /// <summary>A Cloud Map service of the graph's registry, with its instances.</summary>
    CloudMapService,
}
