using System.Text.Json.Nodes;
using Mesh.Api.Observability;
using Mesh.Api.Protocol;
using Mesh.Api.Resources;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Mesh.Api.CloudMap;

/// <summary>
/// Namespaces: HTTP, private DNS and public DNS. All three are stored and served through the API (GetNamespace,
/// DiscoverInstances, the xDS server's endpoints); no DNS server answers for the DNS ones, and no Route 53 hosted
/// zone is made, so DnsProperties carries the SOA given and no HostedZoneId.
/// </summary>
public sealed class CloudMapNamespaces(
    IDbContextFactory<MeshDbContext> contexts,
    WriteTransactions writes,
    CloudMapPages pages,
    ReadRace reads,
    IOptions<MeshApiOptions> options,
    TimeProvider clock)
{
    public Task<JsonObject> CreateAsync(ApiCall call, string type, JsonObject input, CancellationToken cancellationToken)
    {
        var name = input["Name"]!.GetValue<string>();
        var requestId = input["CreatorRequestId"]?.GetValue<string>();
        var properties = new JsonObject();
        if (type != "HTTP")
        {
            var dns = new JsonObject();
            if (input["Properties"]?["DnsProperties"]?["SOA"] is { } soa)
            {
                dns["SOA"] = soa.DeepClone();
            }

            properties["DnsProperties"] = dns;
        }

        properties["HttpProperties"] = new JsonObject { ["HttpName"] = name };
        var tags = CloudMapTags.Normalize(input["Tags"] as JsonArray, name);
        return CatchDuplicateName(name, call.AccountId, cancellationToken, writes.RunAsync(call, $"namespace '{name}'", async (db, ct) =>
        {
            var now = clock.GetUtcNow();
            var operation = await CloudMapOperationLog.BeginAsync(db, call.AccountId, "CREATE_NAMESPACE", requestId, input, now, ct);
            if (operation.PreviousOperationId is { } previous)
            {
                return new JsonObject { ["OperationId"] = previous };
            }

            var id = CloudMapIds.NewNamespaceId();
            db.CloudMapNamespaces.Add(new CloudMapNamespaceEntity
            {
                Id = id,
                AccountId = call.AccountId,
                Name = name,
                Type = type,
                Arn = CloudMapIds.NamespaceArn(options.Value.Region, call.AccountId, id),
                Description = input["Description"]?.GetValue<string>(),
                Properties = properties.ToJsonString(),
                CreatorRequestId = requestId,
                Tags = tags,
                CreatedAt = now,
            });
            db.Changes.Add(CloudMapChanges.Create(call.AccountId, CloudMapChanges.NamespaceKind, name, "", 0, "create", now));
            return operation.Complete(db, new Dictionary<string, string> { ["NAMESPACE"] = id });
        }, cancellationToken));
    }

    public async Task<JsonObject> GetAsync(string accountId, JsonObject input, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var ns = await CloudMapLookups.NamespaceAsync(db, accountId, input["Id"]!.GetValue<string>(), CloudMapLookups.Lock.None, cancellationToken);
        var services = await db.CloudMapServices.CountAsync(s => s.NamespaceId == ns.Id, cancellationToken);
        return new JsonObject { ["Namespace"] = CloudMapWire.Namespace(ns, services) };
    }

    public async Task<JsonObject> ListAsync(string accountId, JsonObject input, CancellationToken cancellationToken)
    {
        var filter = CloudMapFilters.Build(input["Filters"] as JsonArray, new Dictionary<string, CloudMapFilters.Field<CloudMapNamespaceEntity>>
        {
            ["TYPE"] = CloudMapFilters.Enumerated<CloudMapNamespaceEntity>(["EQ", "IN", "BEGINS_WITH"], n => n.Type, "NamespaceType"),
            ["NAME"] = new(["EQ", "BEGINS_WITH"], n => n.Name),
            ["HTTP_NAME"] = new(["EQ", "BEGINS_WITH"], n => n.Name),
            ["RESOURCE_OWNER"] = CloudMapFilters.ResourceOwner<CloudMapNamespaceEntity>(),
        });
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var (page, next) = await pages.PageAsync(db.CloudMapNamespaces.AsNoTracking().Where(n => n.AccountId == accountId), n => n.Id, filter, input, CloudMapPages.Scope("ListNamespaces", accountId, input), 100, cancellationToken);
        var ids = page.Select(n => n.Id).ToList();
        var counts = await db.CloudMapServices.Where(s => ids.Contains(s.NamespaceId)).GroupBy(s => s.NamespaceId)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        return CloudMapPages.Answer(
            new JsonObject
            {
                ["Namespaces"] = new JsonArray(page.Select(n => (JsonNode)CloudMapWire.Namespace(n, counts.GetValueOrDefault(n.Id), summary: true)).ToArray()),
            },
            next);
    }

    public Task<JsonObject> UpdateAsync(ApiCall call, string type, JsonObject input, CancellationToken cancellationToken)
    {
        var id = input["Id"]!.GetValue<string>();
        var change = input["Namespace"]!.AsObject();
        return writes.RunAsync(call, $"namespace {id}", async (db, ct) =>
        {
            var now = clock.GetUtcNow();
            var operation = await CloudMapOperationLog.BeginAsync(db, call.AccountId, "UPDATE_NAMESPACE", input["UpdaterRequestId"]?.GetValue<string>(), input, now, ct);
            if (operation.PreviousOperationId is { } previous)
            {
                return new JsonObject { ["OperationId"] = previous };
            }

            var ns = await CloudMapLookups.NamespaceAsync(db, call.AccountId, id, CloudMapLookups.Lock.Update, ct);
            if (ns.Type != type)
            {
                throw CloudMapErrors.InvalidInput($"Id: namespace {ns.Id} is a {ns.Type} namespace; update it with the operation for that type.");
            }

            if (change["Description"]?.GetValue<string>() is { } description)
            {
                ns.Description = description;
            }

            if (change["Properties"]?["DnsProperties"]?["SOA"] is { } soa)
            {
                var properties = JsonNode.Parse(ns.Properties)!.AsObject();
                properties["DnsProperties"] = new JsonObject { ["SOA"] = soa.DeepClone() };
                ns.Properties = properties.ToJsonString();
            }

            db.Changes.Add(CloudMapChanges.Create(call.AccountId, CloudMapChanges.NamespaceKind, ns.Name, "", 0, "update", now));
            return operation.Complete(db, new Dictionary<string, string> { ["NAMESPACE"] = ns.Id });
        }, cancellationToken);
    }

    public async Task<JsonObject> DeleteAsync(ApiCall call, JsonObject input, CancellationToken cancellationToken)
    {
        var id = input["Id"]!.GetValue<string>();
        try
        {
            return await writes.RunAsync(call, $"namespace {id}", async (db, ct) =>
            {
                var now = clock.GetUtcNow();
                var ns = await CloudMapLookups.NamespaceAsync(db, call.AccountId, id, CloudMapLookups.Lock.Update, ct);
                var services = await db.CloudMapServices.CountAsync(s => s.NamespaceId == ns.Id, ct);
                if (services > 0)
                {
                    throw InUse(id, services);
                }

                db.CloudMapNamespaces.Remove(ns);
                db.Changes.Add(CloudMapChanges.Create(call.AccountId, CloudMapChanges.NamespaceKind, ns.Name, "", 0, "delete", now));
                var operation = await CloudMapOperationLog.BeginAsync(db, call.AccountId, "DELETE_NAMESPACE", null, input, now, ct);
                return operation.Complete(db, new Dictionary<string, string> { ["NAMESPACE"] = ns.Id });
            }, cancellationToken);
        }
        catch (Exception e) when (DatabaseFailures.IsForeignKeyViolation(e, "fk_cloud_map_services_namespace"))
        {
            // A service was created between the check and the delete: the foreign key refused the delete.
            throw InUse(id, 1);
        }
    }

    private static AppMeshException InUse(string id, int services) =>
        CloudMapErrors.ResourceInUse($"Namespace {id} still has {services} service(s); delete them first.");

    private async Task<JsonObject> CatchDuplicateName(string name, string accountId, CancellationToken cancellationToken, Task<JsonObject> write)
    {
        try
        {
            return await write;
        }
        catch (Exception e) when (DatabaseFailures.IsUniqueViolation(e, "ux_cloud_map_namespaces_name"))
        {
            // Naming the namespace that exists is a read of its own, also answered by the call's deadline.
            var existing = await reads.RunAsync(async ct =>
            {
                await using var db = await contexts.CreateDbContextAsync(ct);
                return await db.CloudMapNamespaces.AsNoTracking().SingleOrDefaultAsync(n => n.AccountId == accountId && n.Name == name, ct);
            }, AbandonedRead.CloudMap, cancellationToken);
            throw CloudMapErrors.NamespaceAlreadyExists(name, existing?.Id ?? "", existing?.CreatorRequestId);
        }
    }
}
