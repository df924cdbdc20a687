using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Api.Resources;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Api.CloudMap;

/// <summary>
/// Registered instances and their health. Every write locks the service row and bumps its revision
/// (DiscoverInstancesRevision), and appends a change that names the namespace and service, so the xDS server
/// rebuilds the endpoints of exactly the virtual nodes that discover through that service.
/// </summary>
/// <remarks>
/// Health is the custom health status (UpdateInstanceCustomHealthStatus) for a service with
/// HealthCheckCustomConfig, starting from AWS_INIT_HEALTH_STATUS (HEALTHY when not given). A service without custom
/// health checks has healthy instances: no Route 53 health checker runs here, so a HealthCheckConfig is stored and
/// served but never probes anything. The instances of a service with no health check at all are reported UNKNOWN, as
/// Cloud Map reports them (<see cref="CloudMapWire.HealthStatus"/>), and served as healthy.
/// </remarks>
public sealed class CloudMapInstances(
    IDbContextFactory<MeshDbContext> contexts,
    WriteTransactions writes,
    CloudMapPages pages,
    TimeProvider clock)
{
    /// <summary>Cloud Map's limit of instances per service.</summary>
    public const int MaxInstancesPerService = 1000;

    public Task<JsonObject> RegisterAsync(ApiCall call, JsonObject input, CancellationToken cancellationToken)
    {
        var serviceId = input["ServiceId"]!.GetValue<string>();
        var instanceId = input["InstanceId"]!.GetValue<string>();
        var attributes = input["Attributes"]!.AsObject();
        return writes.RunAsync(call, $"instance '{instanceId}' of service {serviceId}", async (db, ct) =>
        {
            var now = clock.GetUtcNow();
            var operation = await CloudMapOperationLog.BeginAsync(db, call.AccountId, "REGISTER_INSTANCE", input["CreatorRequestId"]?.GetValue<string>(), input, now, ct);
            if (operation.PreviousOperationId is { } previous)
            {
                return new JsonObject { ["OperationId"] = previous };
            }

            var service = await CloudMapLookups.ServiceAsync(db, call.AccountId, serviceId, CloudMapLookups.Lock.Update, ct);
            var customHealth = service.HealthCheckCustomConfig is not null;
            InstanceAttributes.Check(attributes, service.DnsConfig, customHealth, routeFiftyThreeCheck: service.HealthCheckConfig is not null);
            var initial = customHealth ? attributes[InstanceAttributes.InitHealthStatus]?.GetValue<string>() : null;
            var instance = await db.CloudMapInstances.SingleOrDefaultAsync(i => i.ServiceId == service.Id && i.InstanceId == instanceId, ct);
            if (instance is null)
            {
                var count = await db.CloudMapInstances.CountAsync(i => i.ServiceId == service.Id, ct);
                if (count >= MaxInstancesPerService)
                {
                    throw CloudMapErrors.ResourceLimitExceeded($"Service {service.Id} already has {count} instances, the most a service holds.");
                }

                db.CloudMapInstances.Add(new CloudMapInstanceEntity
                {
                    ServiceId = service.Id,
                    InstanceId = instanceId,
                    AccountId = call.AccountId,
                    Attributes = attributes.ToJsonString(),
                    CreatorRequestId = input["CreatorRequestId"]?.GetValue<string>(),
                    HealthStatus = initial ?? "HEALTHY",
                    CreatedAt = now,
                    UpdatedAt = now,
                });
            }
            else
            {
                // Registering an existing instance id replaces its attributes, as Cloud Map does; its health stays
                // unless the new attributes set an initial status.
                instance.Attributes = attributes.ToJsonString();
                instance.HealthStatus = initial ?? instance.HealthStatus;
                instance.UpdatedAt = now;
            }

            await BumpAsync(db, call.AccountId, service, instance is null ? "create" : "update", now, ct);
            return operation.Complete(db, new Dictionary<string, string> { ["SERVICE"] = service.Id, ["INSTANCE"] = instanceId });
        }, cancellationToken);
    }

    public Task<JsonObject> DeregisterAsync(ApiCall call, JsonObject input, CancellationToken cancellationToken)
    {
        var serviceId = input["ServiceId"]!.GetValue<string>();
        var instanceId = input["InstanceId"]!.GetValue<string>();
        return writes.RunAsync(call, $"instance '{instanceId}' of service {serviceId}", async (db, ct) =>
        {
            var now = clock.GetUtcNow();
            var service = await CloudMapLookups.ServiceAsync(db, call.AccountId, serviceId, CloudMapLookups.Lock.Update, ct);
            var instance = await db.CloudMapInstances.SingleOrDefaultAsync(i => i.ServiceId == service.Id && i.InstanceId == instanceId, ct)
                ?? throw CloudMapErrors.InstanceNotFound(service.Id, instanceId);
            db.CloudMapInstances.Remove(instance);
            await BumpAsync(db, call.AccountId, service, "delete", now, ct);
            var operation = await CloudMapOperationLog.BeginAsync(db, call.AccountId, "DEREGISTER_INSTANCE", null, input, now, ct);
            return operation.Complete(db, new Dictionary<string, string> { ["SERVICE"] = service.Id, ["INSTANCE"] = instanceId });
        }, cancellationToken);
    }

    public Task<JsonObject> UpdateHealthAsync(ApiCall call, JsonObject input, CancellationToken cancellationToken)
    {
        var serviceId = input["ServiceId"]!.GetValue<string>();
        var instanceId = input["InstanceId"]!.GetValue<string>();
        var status = input["Status"]!.GetValue<string>();
        return writes.RunAsync(call, $"instance '{instanceId}' of service {serviceId}", async (db, ct) =>
        {
            var now = clock.GetUtcNow();
            var service = await CloudMapLookups.ServiceAsync(db, call.AccountId, serviceId, CloudMapLookups.Lock.Update, ct);
            if (service.HealthCheckCustomConfig is null)
            {
                throw CloudMapErrors.CustomHealthNotFound(service.Id);
            }

            var instance = await db.CloudMapInstances.SingleOrDefaultAsync(i => i.ServiceId == service.Id && i.InstanceId == instanceId, ct)
                ?? throw CloudMapErrors.InstanceNotFound(service.Id, instanceId);

            if (instance.HealthStatus != status)
            {
                instance.HealthStatus = status;
                instance.UpdatedAt = now;
                await BumpAsync(db, call.AccountId, service, "update", now, ct);
            }

            return new JsonObject();
        }, cancellationToken);
    }

    public async Task<JsonObject> GetAsync(string accountId, JsonObject input, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var service = await CloudMapLookups.ServiceAsync(db, accountId, input["ServiceId"]!.GetValue<string>(), CloudMapLookups.Lock.None, cancellationToken);
        var instanceId = input["InstanceId"]!.GetValue<string>();
        var instance = await db.CloudMapInstances.AsNoTracking().SingleOrDefaultAsync(i => i.ServiceId == service.Id && i.InstanceId == instanceId, cancellationToken)
            ?? throw CloudMapErrors.InstanceNotFound(service.Id, instanceId);
        return new JsonObject { ["Instance"] = CloudMapWire.Instance(instance), ["ResourceOwner"] = service.AccountId };
    }

    public async Task<JsonObject> ListAsync(string accountId, JsonObject input, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var service = await CloudMapLookups.ServiceAsync(db, accountId, input["ServiceId"]!.GetValue<string>(), CloudMapLookups.Lock.None, cancellationToken);
        var (page, next) = await pages.PageAsync(db.CloudMapInstances.AsNoTracking().Where(i => i.ServiceId == service.Id), i => i.InstanceId, null, input, CloudMapPages.Scope("ListInstances", accountId, input), 100, cancellationToken);
        return CloudMapPages.Answer(
            new JsonObject
            {
                ["Instances"] = new JsonArray(page.Select(i => (JsonNode)CloudMapWire.Instance(i, summary: true)).ToArray()),
                ["ResourceOwner"] = service.AccountId,
            },
            next);
    }

    public async Task<JsonObject> GetHealthAsync(string accountId, JsonObject input, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var service = await CloudMapLookups.ServiceAsync(db, accountId, input["ServiceId"]!.GetValue<string>(), CloudMapLookups.Lock.None, cancellationToken);
        var selected = db.CloudMapInstances.AsNoTracking().Where(i => i.ServiceId == service.Id);
        if (input["Instances"] is JsonArray wanted)
        {
            var ids = wanted.Select(w => w!.GetValue<string>()).Distinct(StringComparer.Ordinal).ToList();
            selected = selected.Where(i => ids.Contains(i.InstanceId));
            var found = await selected.Select(i => i.InstanceId).ToListAsync(cancellationToken);
            if (ids.FirstOrDefault(id => !found.Contains(id, StringComparer.Ordinal)) is { } missing)
            {
                throw CloudMapErrors.InstanceNotFound(service.Id, missing);
            }
        }

        var (page, next) = await pages.PageAsync(selected, i => i.InstanceId, null, input, CloudMapPages.Scope("GetInstancesHealthStatus", accountId, input), 100, cancellationToken);
        return CloudMapPages.Answer(
            new JsonObject
            {
                ["Status"] = new JsonObject(page.Select(i => KeyValuePair.Create(i.InstanceId, (JsonNode?)JsonValue.Create(CloudMapWire.HealthStatus(service, i))))),
            },
            next);
    }

    private static async Task BumpAsync(MeshDbContext db, string accountId, CloudMapServiceEntity service, string operation, DateTimeOffset now, CancellationToken ct)
    {
        service.Revision++;
        var namespaceName = await CloudMapLookups.NamespaceNameAsync(db, service.NamespaceId, ct);
        db.Changes.Add(CloudMapChanges.Create(accountId, CloudMapChanges.InstanceKind, namespaceName, service.Name, service.Revision, operation, now));
    }
}
