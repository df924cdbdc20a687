using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Api.CloudMap;

/// <summary>
/// Finds a namespace or service of the caller's account by the id (or ARN) a call names, optionally locking its
/// row: FOR KEY SHARE keeps it from being deleted under a write that depends on it, FOR UPDATE serializes the writes
/// that change it (instance writes lock their service, which carries the revision they bump).
/// </summary>
public static class CloudMapLookups
{
    public enum Lock
    {
        None,
        KeyShare,
        Update,
    }

    public static async Task<CloudMapNamespaceEntity> NamespaceAsync(MeshDbContext db, string accountId, string id, Lock mode, CancellationToken ct)
    {
        var query = mode switch
        {
            Lock.KeyShare => db.CloudMapNamespaces.FromSql($"SELECT * FROM cloud_map_namespaces WHERE id = {id} AND account_id = {accountId} FOR KEY SHARE"),
            Lock.Update => db.CloudMapNamespaces.FromSql($"SELECT * FROM cloud_map_namespaces WHERE id = {id} AND account_id = {accountId} FOR UPDATE"),
            _ => db.CloudMapNamespaces.Where(n => n.Id == id && n.AccountId == accountId),
        };
        return await query.SingleOrDefaultAsync(ct) ?? throw CloudMapErrors.NamespaceNotFound(id);
    }

    public static async Task<CloudMapServiceEntity> ServiceAsync(MeshDbContext db, string accountId, string id, Lock mode, CancellationToken ct)
    {
        var query = mode switch
        {
            Lock.KeyShare => db.CloudMapServices.FromSql($"SELECT * FROM cloud_map_services WHERE id = {id} AND account_id = {accountId} FOR KEY SHARE"),
            Lock.Update => db.CloudMapServices.FromSql($"SELECT * FROM cloud_map_services WHERE id = {id} AND account_id = {accountId} FOR UPDATE"),
            _ => db.CloudMapServices.Where(s => s.Id == id && s.AccountId == accountId),
        };
        return await query.SingleOrDefaultAsync(ct) ?? throw CloudMapErrors.ServiceNotFound(id);
    }

    public static async Task<string> NamespaceNameAsync(MeshDbContext db, string namespaceId, CancellationToken ct) =>
        await db.CloudMapNamespaces.Where(n => n.Id == namespaceId).Select(n => n.Name).SingleAsync(ct);
}
