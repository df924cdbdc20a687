using Mesh.Model.Graph;

namespace Mesh.Model.Resources;

/// <summary>
/// One of App Mesh's seven resource kinds, with every name the wire and the store use for it.
/// Operations are generic over kinds; what differs between kinds is data, and it lives here.
/// </summary>
public sealed record ResourceKind
{
    private ResourceKind(string wireName, string pascalName, string pluralPascalName, ResourceKind? parent)
    {
        WireName = wireName;
        PascalName = pascalName;
        PluralPascalName = pluralPascalName;
        Parent = parent;
        // Read on every API call (binding, the policy's ARN, a list's answer): made once per kind, not per call.
        NameMember = wireName + "Name";
        ListMember = char.ToLowerInvariant(pluralPascalName[0]) + pluralPascalName[1..];
    }

    public static readonly ResourceKind Mesh = new(MeshResourceKinds.Mesh, "Mesh", "Meshes", null);
    public static readonly ResourceKind VirtualNode = new(MeshResourceKinds.VirtualNode, "VirtualNode", "VirtualNodes", null);
    public static readonly ResourceKind VirtualService = new(MeshResourceKinds.VirtualService, "VirtualService", "VirtualServices", null);
    public static readonly ResourceKind VirtualRouter = new(MeshResourceKinds.VirtualRouter, "VirtualRouter", "VirtualRouters", null);
    public static readonly ResourceKind Route = new(MeshResourceKinds.Route, "Route", "Routes", VirtualRouter);
    public static readonly ResourceKind VirtualGateway = new(MeshResourceKinds.VirtualGateway, "VirtualGateway", "VirtualGateways", null);
    public static readonly ResourceKind GatewayRoute = new(MeshResourceKinds.GatewayRoute, "GatewayRoute", "GatewayRoutes", VirtualGateway);

    public static IReadOnlyList<ResourceKind> All { get; } =
        [Mesh, VirtualNode, VirtualService, VirtualRouter, Route, VirtualGateway, GatewayRoute];

    /// <summary>The camelCase name used in ARNs, JSON members and the store (e.g. virtualNode).</summary>
    public string WireName { get; }

    public string PascalName { get; }

    public string PluralPascalName { get; }

    /// <summary>The resource a route or gateway route belongs to inside its mesh; null for every other kind.</summary>
    public ResourceKind? Parent { get; }

    public bool IsMesh => ReferenceEquals(this, Mesh);

    /// <summary>The JSON member that carries the resource's own name, e.g. virtualNodeName.</summary>
    public string NameMember { get; }

    /// <summary>The JSON member of list outputs, e.g. virtualNodes.</summary>
    public string ListMember { get; }

    public string DataShape => PascalName + "Data";

    public string RefShape => PascalName + "Ref";

    public string SpecShape => PascalName + "Spec";

    public static ResourceKind FromWireName(string wireName) =>
        All.FirstOrDefault(k => k.WireName == wireName)
        ?? throw new ArgumentException($"Unknown resource kind '{wireName}'.", nameof(wireName));

    public override string ToString() => WireName;
}
