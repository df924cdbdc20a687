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

    /// <summary>The highest change-log number pruned, or 0 when none has been (<see cref="ChangeLogRetention"/>).</summary>
    public async Task<long> PrunedThroughAsync(CancellationToken cancellationToken) =>
        (await db.Database.SqlQueryRaw<long>(ChangeLogRetention.PrunedThroughSql).ToListAsync(cancellationToken))[0];

    /// <summary>The sequence numbers present in (<paramref name="afterSeq"/>, <paramref name="upToSeq"/>].</summary>
    public Task<List<long>> SeqsBetweenAsync(long afterSeq, long upToSeq, CancellationToken cancellationToken) =>
        db.Changes.AsNoTracking().Where(c => c.Seq > afterSeq && c.Seq <= upToSeq).Select(c => c.Seq).ToListAsync(cancellationToken);

    /// <summary>Up to <paramref name="limit"/> changes after <paramref name="afterSeq"/>, oldest first (<see cref="ChangeLogPageSql.AfterTop"/>).</summary>
    public Task<List<ChangeEntity>> ReadAfterAsync(long afterSeq, int limit, CancellationToken cancellationToken) =>
        db.Changes.FromSqlRaw(ChangeLogPageSql.AfterTop("*", "{0}", limit), afterSeq).AsNoTracking().ToListAsync(cancellationToken);

    /// <summary>
    /// Up to <paramref name="limit"/> changes after <paramref name="afterSeq"/> or numbered in <paramref name="holes"/>
    /// (a <see cref="ChangeLogPosition"/>'s top and holes), oldest first (<see cref="ChangeLogPageSql.AfterTopOrHoles"/>);
    /// without holes, <see cref="ReadAfterAsync(long, int, CancellationToken)"/>.
    /// </summary>
    public Task<List<ChangeEntity>> ReadAfterAsync(long afterSeq, long[] holes, int limit, CancellationToken cancellationToken) =>
        holes.Length == 0
            ? ReadAfterAsync(afterSeq, limit, cancellationToken)
            : db.Changes.FromSqlRaw(ChangeLogPageSql.AfterTopOrHoles("*", "{0}", "{1}", limit), afterSeq, holes).AsNoTracking().ToListAsync(cancellationToken);

    /// <summary>
    /// The transactions (virtual transaction ids) that hold, or wait for, the lock an INSERT into <c>changes</c> takes:
    /// the ones that may have taken a change-log number and not ended (<see cref="ChangeLogPosition.EndRead(IReadOnlySet{string}?)"/>). Read
    /// live, whatever the transaction's snapshot.
    /// </summary>
    public async Task<HashSet<string>> WritersAsync(CancellationToken cancellationToken) =>
        (await db.Database.SqlQueryRaw<string>(WritersSql).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// <see cref="WritersAsync"/>'s statement, one text column, for a follower that reads the log outside EF Core (the
    /// API's read barrier). A lock listed without a virtual transaction id, if any, counts as one writer (""), so it
    /// is never overlooked.
    /// </summary>
    public const string WritersSql = """
        SELECT coalesce(virtualtransaction, '') AS "Value" FROM pg_locks
        WHERE locktype = 'relation' AND mode = 'RowExclusiveLock' AND relation = 'changes'::regclass
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        """;

    /// <summary>Every mesh, by owning account.</summary>
    public async Task<List<(string AccountId, string MeshName)>> MeshesAsync(CancellationToken cancellationToken)
    {
        var meshes = await db.Resources.AsNoTracking()
            .Where(r => r.Kind == "mesh")
            .OrderBy(r => r.AccountId).ThenBy(r => r.MeshName)
            .Select(r => new { r.AccountId, r.MeshName })
            .ToListAsync(cancellationToken);
        return meshes.Select(m => (m.AccountId, m.MeshName)).ToList();
    }

    /// <summary>The live rows of one mesh (the mesh row included), or an empty list when the mesh does not exist.</summary>
    public Task<List<ResourceEntity>> MeshRowsAsync(string accountId, string meshName, CancellationToken cancellationToken) =>
        db.Resources.AsNoTracking()
            .Where(r => r.AccountId == accountId && r.MeshName == meshName)
            .ToListAsync(cancellationToken);

    /// <summary>
    /// The Cloud Map services among <paramref name="services"/> (namespace name, service name) that exist in the
    /// account, and the instances registered in them. A requested service missing from the first list does not exist.
    /// </summary>
    public async Task<(List<(string NamespaceName, string ServiceName)> Existing, List<CloudMapRegistryRow> Instances)> CloudMapServicesAsync(
        string accountId, IReadOnlyCollection<(string NamespaceName, string ServiceName)> services, CancellationToken cancellationToken)
    {
        if (services.Count == 0)
        {
            return ([], []);
        }

        var namespaceNames = services.Select(s => s.NamespaceName).Distinct().ToList();
        var serviceNames = services.Select(s => s.ServiceName).Distinct().ToList();
        var candidates = await (
            from service in db.CloudMapServices.AsNoTracking()
            join ns in db.CloudMapNamespaces.AsNoTracking() on service.NamespaceId equals ns.Id
            where ns.AccountId == accountId && namespaceNames.Contains(ns.Name) && serviceNames.Contains(service.Name)
            select new { service.Id, NamespaceName = ns.Name, ServiceName = service.Name })
            .ToListAsync(cancellationToken);
        var wanted = services.ToHashSet();
        var existing = candidates.Where(c => wanted.Contains((c.NamespaceName, c.ServiceName))).ToList();
        var ids = existing.Select(e => e.Id).ToList();
        var names = existing.ToDictionary(e => e.Id, e => (e.NamespaceName, e.ServiceName));
        var instances = await db.CloudMapInstances.AsNoTracking()
            .Where(i => ids.Contains(i.ServiceId))
            .OrderBy(i => i.ServiceId).ThenBy(i => i.InstanceId)
            .Select(i => new { i.ServiceId, i.InstanceId, i.Attributes, i.HealthStatus })
            .ToListAsync(cancellationToken);
        return (
            existing.Select(e => (e.NamespaceName, e.ServiceName)).ToList(),
            instances.Select(i => new CloudMapRegistryRow(names[i.ServiceId].NamespaceName, names[i.ServiceId].ServiceName, i.InstanceId, i.Attributes, i.HealthStatus)).ToList());
    }
}
