using Mesh.Persistence;

namespace Mesh.Api.Resources;

/// <summary>
/// Appends to the durable change feed inside the caller's transaction: the row is saved with the rest of the
/// write. A trigger on the changes table (see migrations) NOTIFYs followers; PostgreSQL delivers it only when
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

    /// <summary>Like <see cref="Append"/>, for a write that sends its statements through a <see cref="WriteBatch"/>.</summary>
    public static void Queue(WriteBatch batch, ResourceEntity resource, string operation, DateTimeOffset at) =>
        batch.QueueChange("""
            INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            resource.AccountId, resource.MeshName, resource.Kind, resource.ParentName, resource.Name, resource.Version, operation, at);
}
