namespace Mesh.Persistence;

/// <summary>
/// How Cloud Map writes appear on the change feed. They belong to no mesh (<see cref="ChangeEntity.MeshName"/> is
/// empty); <see cref="ChangeEntity.ParentName"/> holds the namespace name and <see cref="ChangeEntity.Name"/> the
/// service name (empty for a namespace change), which is what a virtual node's <c>awsCloudMap</c> refers to, so a
/// follower can tell which meshes a change affects without another query.
/// </summary>
public static class CloudMapChanges
{
    public const string NamespaceKind = "cloudMapNamespace";
    public const string ServiceKind = "cloudMapService";
    public const string InstanceKind = "cloudMapInstance";

    public static bool IsCloudMap(ChangeEntity change) =>
        change.Kind is NamespaceKind or ServiceKind or InstanceKind;

    public static ChangeEntity Create(string accountId, string kind, string namespaceName, string serviceName, long version, string operation, DateTimeOffset at) => new()
    {
        AccountId = accountId,
        MeshName = "",
        Kind = kind,
        ParentName = namespaceName,
        Name = serviceName,
        Version = version,
        Operation = operation,
        At = at,
    };
}
