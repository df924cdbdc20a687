using System.Text.Json;
using Mesh.Model.Specs;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.XdsServer.Registration;

/// <summary>
/// Writes automatic registrations into the Cloud Map registry the way the API does: the service row is locked and
/// its revision bumped, and a change row names the namespace and service, in the same transaction, so the change
/// feed rebuilds the callers' endpoints as for a CLI registration. A renewal that changes nothing but the lease
/// writes no change row, so the feed stays quiet while sidecars stay connected.
/// </summary>
public sealed class InstanceLeases(IDbContextFactory<MeshDbContext> contexts, TimeProvider clock)
{
    public enum Outcome
    {
        Created,
        Updated,
        Renewed,
        NoService,
        OwnedByApi,
    }

    /// <summary>Registers the instance, or renews its lease, for <paramref name="owner"/> until <paramref name="expires"/>.</summary>
    public async Task<Outcome> HoldAsync(
        string accountId, AwsCloudMapServiceDiscovery discovery, RequestedInstance instance, string owner, DateTimeOffset expires, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var namespaceId = await db.CloudMapNamespaces.Where(n => n.AccountId == accountId && n.Name == discovery.NamespaceName).Select(n => n.Id).SingleOrDefaultAsync(ct);
        var service = namespaceId is null
            ? null
            : await db.CloudMapServices.FromSql(
                $"SELECT * FROM cloud_map_services WHERE namespace_id = {namespaceId} AND name = {discovery.ServiceName} FOR UPDATE").SingleOrDefaultAsync(ct);
        if (service is null)
        {
            return Outcome.NoService;
        }

        var attributes = JsonSerializer.Serialize(AttributesOf(discovery, instance));
        var now = clock.GetUtcNow();
        var row = await db.CloudMapInstances.SingleOrDefaultAsync(i => i.ServiceId == service.Id && i.InstanceId == instance.InstanceId, ct);
        Outcome outcome;
        if (row is null)
        {
            db.CloudMapInstances.Add(new CloudMapInstanceEntity
            {
                ServiceId = service.Id,
                InstanceId = instance.InstanceId,
                AccountId = accountId,
                Attributes = attributes,
                HealthStatus = "HEALTHY",
                CreatedAt = now,
                UpdatedAt = now,
                LeaseOwner = owner,
                LeaseExpiresAt = expires,
            });
            outcome = Outcome.Created;
        }
        else if (row.LeaseOwner is null)
        {
            // Registered through the API: that registration is someone's explicit choice and never expires, so a
            // sidecar must not take it over (and later let it lapse).
            return Outcome.OwnedByApi;
        }
        else
        {
            // Another replica's lease is simply taken over: the sidecar is connected here now.
            outcome = SameAttributes(row.Attributes, attributes) ? Outcome.Renewed : Outcome.Updated;
            if (outcome == Outcome.Updated)
            {
                row.Attributes = attributes;
                row.UpdatedAt = now;
            }

            row.LeaseOwner = owner;
            row.LeaseExpiresAt = expires;
        }

        if (outcome != Outcome.Renewed)
        {
            AppendChange(db, service, discovery.NamespaceName, outcome == Outcome.Created ? "create" : "update", now);
        }

        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return outcome;
    }

    /// <summary>Deregisters every automatic registration whose lease lapsed, whichever replica held it.</summary>
    public async Task<IReadOnlyList<(string Service, string InstanceId, string? Owner)>> SweepAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        List<(string ServiceId, string InstanceId)> lapsed;
        await using (var read = await contexts.CreateDbContextAsync(ct))
        {
            lapsed = (await read.CloudMapInstances.AsNoTracking().Where(i => i.LeaseExpiresAt != null && i.LeaseExpiresAt < now)
                .Select(i => new { i.ServiceId, i.InstanceId }).ToListAsync(ct)).Select(i => (i.ServiceId, i.InstanceId)).ToList();
        }

        var removed = new List<(string, string, string?)>();
        foreach (var (serviceId, instanceId) in lapsed)
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var service = await db.CloudMapServices.FromSql($"SELECT * FROM cloud_map_services WHERE id = {serviceId} FOR UPDATE").SingleOrDefaultAsync(ct);
            var row = await db.CloudMapInstances.SingleOrDefaultAsync(i => i.ServiceId == serviceId && i.InstanceId == instanceId, ct);

            // Read again under the service lock: another replica may have renewed it (the sidecar reconnected there)
            // or swept it already.
            if (service is null || row?.LeaseExpiresAt is not { } expiry || expiry >= now)
            {
                continue;
            }

            db.CloudMapInstances.Remove(row);
            var namespaceName = await db.CloudMapNamespaces.Where(n => n.Id == service.NamespaceId).Select(n => n.Name).SingleAsync(ct);
            AppendChange(db, service, namespaceName, "delete", now);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            removed.Add(($"{namespaceName}/{service.Name}", instanceId, row.LeaseOwner));
        }

        return removed;
    }

    /// <summary>The address, plus the node's own <c>awsCloudMap.attributes</c> so that its filter matches the instance.</summary>
    private static SortedDictionary<string, string> AttributesOf(AwsCloudMapServiceDiscovery discovery, RequestedInstance instance)
    {
        var attributes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var attribute in discovery.Attributes ?? [])
        {
            attributes[attribute.Key] = attribute.Value;
        }

        foreach (var (key, value) in instance.AddressAttributes())
        {
            attributes[key] = value;
        }

        return attributes;
    }

    private static bool SameAttributes(string stored, string wanted) =>
        JsonSerializer.Deserialize<SortedDictionary<string, string>>(stored) is { } a
        && JsonSerializer.Deserialize<SortedDictionary<string, string>>(wanted) is { } b
        && a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private static void AppendChange(MeshDbContext db, CloudMapServiceEntity service, string namespaceName, string operation, DateTimeOffset now)
    {
        service.Revision++;
        db.Changes.Add(CloudMapChanges.Create(service.AccountId, CloudMapChanges.InstanceKind, namespaceName, service.Name, service.Revision, operation, now));
    }
}
