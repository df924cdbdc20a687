using Mesh.Persistence;

namespace Mesh.Api.Resources;

/// <summary>
/// Appends to the durable change feed inside the caller's transaction: the row is saved with the rest of the
/// write. (The resource writes insert their change row in their write functions, migration WriteFunctions.) A trigger on the changes table (see migrations) NOTIFYs followers; PostgreSQL delivers it only when
/// the transaction commits.
/// </summary>
public static class ChangeLog
{
    public static void Append(MeshDbContext db, ResourceEntity resource, string operation, DateTimeOffset at)
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
    }
}
