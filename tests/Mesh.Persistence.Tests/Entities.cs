using Mesh.Persistence;

namespace Mesh.Persistence.Tests;

/// <summary>Builders that keep the tests about the rule they check, not about required members.</summary>
internal static class Entities
{
    public static ResourceEntity Mesh(string name) => new()
    {
        AccountId = "111122223333",
        MeshName = name,
        Kind = "mesh",
        ParentName = string.Empty,
        Name = name,
        Arn = $"arn:aws:appmesh:us-east-1:111122223333:mesh/{name}",
        Uid = Guid.NewGuid(),
        Version = 1,
        Spec = "{}",
        Tags = "[]",
        ResourceOwner = "111122223333",
        CreatedAt = DateTimeOffset.UtcNow,
        LastUpdatedAt = DateTimeOffset.UtcNow,
    };

    public static ChangeEntity Change(string meshName, string operation) => new()
    {
        AccountId = "111122223333",
        MeshName = meshName,
        Kind = "mesh",
        ParentName = string.Empty,
        Name = meshName,
        Version = 1,
        Operation = operation,
        At = DateTimeOffset.UtcNow,
    };
}
