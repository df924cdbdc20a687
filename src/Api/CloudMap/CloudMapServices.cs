using System.Text.Json.Nodes;
using Mesh.Api.Observability;
using Mesh.Api.Protocol;
using Mesh.Api.Resources;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Mesh.Api.CloudMap;

/// <summary>Services and their attributes.</summary>
public sealed class CloudMapServices(
    IDbContextFactory<MeshDbContext> contexts,
    WriteTransactions writes,
    CloudMapPages pages,
    ReadRace reads,
    IOptions<MeshApiOptions> options,
    TimeProvider clock)
{
    /// <summary>Cloud Map's limit of attributes per service.</summary>
    public const int MaxServiceAttributes = 30;

    public async Task<JsonObject> CreateAsync(ApiCall call, JsonObject input, CancellationToken cancellationToken)
    {
        var name = input["Name"]!.GetValue<string>();
        var namespaceId = input["NamespaceId"]?.GetValue<string>() ?? input["DnsConfig"]?["NamespaceId"]?.GetValue<string>()
            ?? throw CloudMapErrors.InvalidInput("NamespaceId: is required (the namespace the service is created in).");
        if (input["HealthCheckConfig"] is not null && input["HealthCheckCustomConfig"] is not null)
        {
            throw CloudMapErrors.InvalidInput("HealthCheckConfig, HealthCheckCustomConfig: a service takes one of them, not both.");
        }

        if (CloudMapServiceRules.OfCreate(input) is { Count: > 0 } refused)
        {
            throw CloudMapErrors.Invalid(refused);
        }

        var tags = CloudMapTags.Normalize(input["Tags"] as JsonArray, name);
        try
        {
            return await writes.RunAsync(call, $"service '{name}'", async (db, ct) =>
            {
                var now = clock.GetUtcNow();
                var ns = await CloudMapLookups.NamespaceAsync(db, call.AccountId, namespaceId, CloudMapLookups.Lock.KeyShare, ct);
                var dnsConfig = input["DnsConfig"]?.DeepClone().AsObject();
                dnsConfig?.Remove("NamespaceId");
                var type = ServiceType(ns, dnsConfig, input["Type"]?.GetValue<string>(), input["HealthCheckConfig"] is not null);
                var id = CloudMapIds.NewServiceId();
                var service = new CloudMapServiceEntity
                {
                    Id = id,
                    AccountId = call.AccountId,
                    NamespaceId = ns.Id,
                    Name = name,
                    Arn = CloudMapIds.ServiceArn(options.Value.Region, call.AccountId, id),
                    Description = input["Description"]?.GetValue<string>(),
                    Type = type,
                    DnsConfig = dnsConfig?.ToJsonString(),
                    HealthCheckConfig = input["HealthCheckConfig"]?.ToJsonString(),
                    HealthCheckCustomConfig = input["HealthCheckCustomConfig"] is { } custom
                        ? new JsonObject { ["FailureThreshold"] = custom["FailureThreshold"]?.DeepClone() ?? 1 }.ToJsonString()
                        : null,
                    Attributes = "{}",
                    CreatorRequestId = input["CreatorRequestId"]?.GetValue<string>(),
                    Tags = tags,
                    Revision = 0,
                    CreatedAt = now,
                };
                db.CloudMapServices.Add(service);
                db.Changes.Add(CloudMapChanges.Create(call.AccountId, CloudMapChanges.ServiceKind, ns.Name, name, 0, "create", now));
                return new JsonObject { ["Service"] = CloudMapWire.Service(service, 0) };
            }, cancellationToken);
        }
        catch (Exception e) when (DatabaseFailures.IsUniqueViolation(e, "ux_cloud_map_services_name"))
        {
            // Naming the service that exists is a read of its own, also answered by the call's deadline.
            var (existing, instances) = await reads.RunAsync(async ct =>
            {
                await using var db = await contexts.CreateDbContextAsync(ct);
                var service = await db.CloudMapServices.AsNoTracking().SingleOrDefaultAsync(s => s.NamespaceId == namespaceId && s.Name == name, ct);
                return (service, service is null ? 0 : await db.CloudMapInstances.CountAsync(i => i.ServiceId == service.Id, ct));
            }, AbandonedRead.CloudMap, cancellationToken);

            // CreatorRequestId is the model's idempotency token: a retry of the create that made the service (an SDK's
            // after a lost answer or a deadline's 503) gets that service, not ServiceAlreadyExists.
            if (existing is not null && input["CreatorRequestId"]?.GetValue<string>() is { } token
                && string.Equals(token, existing.CreatorRequestId, StringComparison.Ordinal))
            {
                return new JsonObject { ["Service"] = CloudMapWire.Service(existing, instances) };
            }

            throw CloudMapErrors.ServiceAlreadyExists(name, namespaceId, existing?.Id ?? "", existing?.Arn ?? "", existing?.CreatorRequestId);
        }
    }

    public async Task<JsonObject> GetAsync(string accountId, JsonObject input, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var service = await CloudMapLookups.ServiceAsync(db, accountId, input["Id"]!.GetValue<string>(), CloudMapLookups.Lock.None, cancellationToken);
        var instances = await db.CloudMapInstances.CountAsync(i => i.ServiceId == service.Id, cancellationToken);
        return new JsonObject { ["Service"] = CloudMapWire.Service(service, instances) };
    }

    public async Task<JsonObject> ListAsync(string accountId, JsonObject input, CancellationToken cancellationToken)
    {
        var filter = CloudMapFilters.Build(input["Filters"] as JsonArray, new Dictionary<string, CloudMapFilters.Field<CloudMapServiceEntity>>
        {
            ["NAMESPACE_ID"] = new(["EQ", "IN"], s => s.NamespaceId),
            ["RESOURCE_OWNER"] = CloudMapFilters.ResourceOwner<CloudMapServiceEntity>(),
        });
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var (page, next) = await pages.PageAsync(db.CloudMapServices.AsNoTracking().Where(s => s.AccountId == accountId), s => s.Id, filter, input, CloudMapPages.Scope("ListServices", accountId, input), 100, cancellationToken);
        var ids = page.Select(s => s.Id).ToList();
        var counts = await db.CloudMapInstances.Where(i => ids.Contains(i.ServiceId)).GroupBy(i => i.ServiceId)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        return CloudMapPages.Answer(
            new JsonObject
            {
                ["Services"] = new JsonArray(page.Select(s => (JsonNode)CloudMapWire.Service(s, counts.GetValueOrDefault(s.Id), summary: true)).ToArray()),
            },
            next);
    }

    public Task<JsonObject> UpdateAsync(ApiCall call, JsonObject input, CancellationToken cancellationToken)
    {
        var id = input["Id"]!.GetValue<string>();
        var change = input["Service"]!.AsObject();
        return writes.RunAsync(call, $"service {id}", async (db, ct) =>
        {
            var now = clock.GetUtcNow();
            var service = await CloudMapLookups.ServiceAsync(db, call.AccountId, id, CloudMapLookups.Lock.Update, ct);
            var heldDns = service.DnsConfig is { } held ? JsonNode.Parse(held)!.AsObject() : null;
            if (CloudMapServiceRules.OfUpdate(change, heldDns?["RoutingPolicy"]?.GetValue<string>()) is { Count: > 0 } refused)
            {
                throw CloudMapErrors.Invalid(refused);
            }

            if (change["Description"]?.GetValue<string>() is { } description)
            {
                service.Description = description;
            }

            if (change["DnsConfig"] is { } dns)
            {
                if (heldDns is null)
                {
                    throw CloudMapErrors.InvalidInput($"Service.DnsConfig: service {id} has no DNS configuration to change.");
                }

                heldDns["DnsRecords"] = dns["DnsRecords"]!.DeepClone();
                service.DnsConfig = heldDns.ToJsonString();
            }

            // Only a health check given, or one held that may go, needs the namespace's type.
            var namespaceType = change["HealthCheckConfig"] is not null || service.HealthCheckConfig is not null
                ? await db.CloudMapNamespaces.Where(n => n.Id == service.NamespaceId).Select(n => n.Type).SingleAsync(ct)
                : null;
            if (change["HealthCheckConfig"] is null && service.HealthCheckConfig is not null && namespaceType == "DNS_PUBLIC")
            {
                // UpdateService, "For public and private DNS namespaces": a HealthCheckConfig left out is deleted (a
                // private namespace has none to delete).
                service.HealthCheckConfig = null;
            }

            if (change["HealthCheckConfig"] is { } check)
            {
                if (service.HealthCheckCustomConfig is not null)
                {
                    throw CloudMapErrors.InvalidInput($"Service.HealthCheckConfig: service {id} uses custom health checks; it cannot also take a Route 53 health check.");
                }

                RefuseRouteFiftyThreeCheck(true, namespaceType!, service.NamespaceId);

                service.HealthCheckConfig = check.ToJsonString();
            }

            if (CloudMapServiceRules.OfUpdatedService(service.DnsConfig, service.HealthCheckConfig) is { Count: > 0 } left)
            {
                throw CloudMapErrors.Invalid(left);
            }

            var namespaceName = await CloudMapLookups.NamespaceNameAsync(db, service.NamespaceId, ct);
            db.Changes.Add(CloudMapChanges.Create(call.AccountId, CloudMapChanges.ServiceKind, namespaceName, service.Name, service.Revision, "update", now));
            var operation = await CloudMapOperationLog.BeginAsync(db, call.AccountId, "UPDATE_SERVICE", null, input, now, ct);
            return operation.Complete(db, new Dictionary<string, string> { ["SERVICE"] = service.Id });
        }, cancellationToken);
    }

    public async Task<JsonObject> DeleteAsync(ApiCall call, JsonObject input, CancellationToken cancellationToken)
    {
        var id = input["Id"]!.GetValue<string>();
        try
        {
            return await writes.RunAsync(call, $"service {id}", async (db, ct) =>
            {
                var now = clock.GetUtcNow();
                var service = await CloudMapLookups.ServiceAsync(db, call.AccountId, id, CloudMapLookups.Lock.Update, ct);
                var instances = await db.CloudMapInstances.CountAsync(i => i.ServiceId == service.Id, ct);
                if (instances > 0)
                {
                    throw InUse(id, instances);
                }

                var namespaceName = await CloudMapLookups.NamespaceNameAsync(db, service.NamespaceId, ct);
                db.CloudMapServices.Remove(service);
                db.Changes.Add(CloudMapChanges.Create(call.AccountId, CloudMapChanges.ServiceKind, namespaceName, service.Name, service.Revision, "delete", now));
                return new JsonObject();
            }, cancellationToken);
        }
        catch (Exception e) when (DatabaseFailures.IsForeignKeyViolation(e, "fk_cloud_map_instances_service"))
        {
            throw InUse(id, 1);
        }
    }

    public async Task<JsonObject> GetAttributesAsync(string accountId, JsonObject input, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var service = await CloudMapLookups.ServiceAsync(db, accountId, input["ServiceId"]!.GetValue<string>(), CloudMapLookups.Lock.None, cancellationToken);
        return new JsonObject
        {
            ["ServiceAttributes"] = new JsonObject
            {
                ["ServiceArn"] = service.Arn,
                ["ResourceOwner"] = service.AccountId,
                ["Attributes"] = JsonNode.Parse(service.Attributes),
            },
        };
    }

    public Task<JsonObject> UpdateAttributesAsync(ApiCall call, JsonObject input, CancellationToken cancellationToken) =>
        ChangeAttributesAsync(call, input, attributes =>
        {
            foreach (var (key, value) in input["Attributes"]!.AsObject())
            {
                attributes[key] = value!.DeepClone();
            }

            if (attributes.Count > MaxServiceAttributes)
            {
                throw CloudMapErrors.ServiceAttributesLimitExceeded(MaxServiceAttributes, attributes.Count);
            }
        }, cancellationToken);

    public Task<JsonObject> DeleteAttributesAsync(ApiCall call, JsonObject input, CancellationToken cancellationToken) =>
        ChangeAttributesAsync(call, input, attributes =>
        {
            foreach (var key in input["Attributes"]!.AsArray())
            {
                attributes.Remove(key!.GetValue<string>());
            }
        }, cancellationToken);

    private Task<JsonObject> ChangeAttributesAsync(ApiCall call, JsonObject input, Action<JsonObject> change, CancellationToken cancellationToken)
    {
        var id = input["ServiceId"]!.GetValue<string>();
        return writes.RunAsync(call, $"service {id}", async (db, ct) =>
        {
            var service = await CloudMapLookups.ServiceAsync(db, call.AccountId, id, CloudMapLookups.Lock.Update, ct);
            var attributes = JsonNode.Parse(service.Attributes)!.AsObject();
            change(attributes);
            service.Attributes = attributes.ToJsonString();
            var namespaceName = await CloudMapLookups.NamespaceNameAsync(db, service.NamespaceId, ct);
            db.Changes.Add(CloudMapChanges.Create(call.AccountId, CloudMapChanges.ServiceKind, namespaceName, service.Name, service.Revision, "update", clock.GetUtcNow()));
            return new JsonObject();
        }, cancellationToken);
    }

    /// <summary>
    /// Cloud Map takes a Route 53 health check (HealthCheckConfig) in public DNS and HTTP namespaces only; Mesh stores
    /// it there and probes nothing (docs/cloud-map.md).
    /// </summary>
    private static void RefuseRouteFiftyThreeCheck(bool routeFiftyThreeCheck, string namespaceType, string namespaceId)
    {
        if (routeFiftyThreeCheck && namespaceType == "DNS_PRIVATE")
        {
            throw CloudMapErrors.InvalidInput($"HealthCheckConfig: Route 53 health checks are for public DNS and HTTP namespaces; {namespaceId} is a private DNS namespace. Use HealthCheckCustomConfig.");
        }
    }

    private static AppMeshException InUse(string id, int instances) =>
        CloudMapErrors.ResourceInUse($"Service {id} still has {instances} registered instance(s); deregister them first.");

    /// <summary>
    /// The service's type as Cloud Map derives it: HTTP in an HTTP namespace (which takes no DNS configuration),
    /// DNS_HTTP with DNS records in a DNS namespace, and HTTP there when asked for (Type HTTP, no DnsConfig).
    /// </summary>
    private static string ServiceType(CloudMapNamespaceEntity ns, JsonObject? dnsConfig, string? requested, bool routeFiftyThreeCheck)
    {
        if (ns.Type == "HTTP")
        {
            if (dnsConfig is not null)
            {
                throw CloudMapErrors.InvalidInput($"DnsConfig: namespace {ns.Id} is an HTTP namespace; its services take no DNS configuration.");
            }

            return "HTTP";
        }

        RefuseRouteFiftyThreeCheck(routeFiftyThreeCheck, ns.Type, ns.Id);

        if (requested == "HTTP")
        {
            if (dnsConfig is not null)
            {
                throw CloudMapErrors.InvalidInput("Type, DnsConfig: a service of Type HTTP takes no DNS configuration.");
            }

            return "HTTP";
        }

        return dnsConfig is not null
            ? "DNS_HTTP"
            : throw CloudMapErrors.InvalidInput($"DnsConfig: namespace {ns.Id} is a DNS namespace; give DnsConfig, or Type HTTP for a service found through the API only.");
    }
}
