using Microsoft.EntityFrameworkCore;

// Namespace Mesh.Persistence, not Mesh.Persistence.ChangeFeed: that name is taken by the ChangeFeed class.
namespace Mesh.Persistence;

/// <summary>
/// The reading side of the change feed, for followers such as the xDS server: the durable change log in
/// sequence order, and the current rows of one mesh. No tracking; every call is one query.
/// </summary>
public sealed class ChangeLogReader(MeshDbContext db)
{
    /// <summary>The highest sequence number in the log, or 0 when it is empty.</summary>
    public async Task<long> MaxSeqAsync(CancellationToken cancellationToken) =>
        await db.Changes.AsNoTracking().MaxAsync(c => (long?)c.Seq, cancellationToken) ?? 0;

    /// <summary>The sequence numbers present in (<paramref name="afterSeq"/>, <paramref name="upToSeq"/>].</summary>
    public Task<List<long>> SeqsBetweenAsync(long afterSeq, long upToSeq, CancellationToken cancellationToken) =>
        db.Changes.AsNoTracking().Where(c => c.Seq > afterSeq && c.Seq <= upToSeq).Select(c => c.Seq).ToListAsync(cancellationToken);

    /// <summary>Up to <paramref name="limit"/> changes after <paramref name="afterSeq"/>, oldest first.</summary>
    public Task<List<ChangeEntity>> ReadAfterAsync(long afterSeq, int limit, CancellationToken cancellationToken) =>
        db.Changes.AsNoTracking().Where(c => c.Seq > afterSeq).OrderBy(c => c.Seq).Take(limit).ToListAsync(cancellationToken);

    /// <summary>Every mesh, by owning account.</summary>
    public async Task<List<(string AccountId, string MeshName)>> MeshesAsync(CancellationToken cancellationToken)
    {
        var meshes = await db.Resources.AsNoTracking()
            .Where(r => r.Kind == "mesh" && r.Status != "DELETED")
            .OrderBy(r => r.AccountId).ThenBy(r => r.MeshName)
            .Select(r => new { r.AccountId, r.MeshName })
            .ToListAsync(cancellationToken);
        return meshes.Select(m => (m.AccountId, m.MeshName)).ToList();
    }

    /// <summary>The live rows of one mesh (the mesh row included), or an empty list when the mesh does not exist.</summary>
    public Task<List<ResourceEntity>> MeshRowsAsync(string accountId, string meshName, CancellationToken cancellationToken) =>
        db.Resources.AsNoTracking()
            .Where(r => r.AccountId == accountId && r.MeshName == meshName && r.Status != "DELETED")
            .ToListAsync(cancellationToken);
}
