using Mesh.Persistence;

namespace Mesh.Api.Resources;

/// <summary>
/// Appends to the durable change feed inside the caller's transaction. A trigger on the changes table
/// (see migrations) NOTIFYs followers; PostgreSQL delivers it only when the transaction commits.
/// </summary>
public static class ChangeLog
{
    public static async Task AppendAsync(MeshDbContext db, ResourceEntity resource, string operation, DateTimeOffset at, CancellationToken ct)
    {
        var change = new ChangeEntity
        {
            AccountId = resource.AccountId,
            MeshName = resource.MeshName,
            Kind = resource.Kind,
            ParentName = resource.ParentName,
            Name = resource.Name,
            Version = resource.Version,
            Operation = operation,
            At = at,
        };
        db.Changes.Add(change);
        await db.SaveChangesAsync(ct);
    }
}
