using System.Text.Json.Nodes;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Api.CloudMap;

/// <summary>
/// DiscoverInstances and DiscoverInstancesRevision: instances by namespace and service name. In AWS these go to a
/// <c>data-</c> host; here the same API port answers them, and the clients must be told not to add the prefix to
/// a custom endpoint (see docs/cloud-map.md).
/// </summary>
public sealed class CloudMapDiscovery(IDbContextFactory<MeshDbContext> contexts)
{
    /// <summary>DiscoverInstances' default MaxResults, as in Cloud Map.</summary>
    private const int DefaultMaxResults = 100;

    public async Task<JsonObject> DiscoverAsync(string accountId, JsonObject input, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var (namespaceName, service) = await FindAsync(db, accountId, input, cancellationToken);
        var instances = await db.CloudMapInstances.AsNoTracking().Where(i => i.ServiceId == service.Id).OrderBy(i => i.InstanceId).ToListAsync(cancellationToken);
        var parsed = instances.Select(i => (Instance: i, Attributes: JsonNode.Parse(i.Attributes)!.AsObject())).ToList();

        var query = Pairs(input["QueryParameters"]);
        var matching = parsed.Where(p => Matches(p.Attributes, query)).ToList();
        var healthy = matching.Where(p => p.Instance.HealthStatus == "HEALTHY").ToList();
        // HealthStatus "is ignored for services that don't have a health check configured, and all instances are
        // returned" (their instances are reported UNKNOWN, and stored HEALTHY).
        var noHealthCheck = service.HealthCheckConfig is null && service.HealthCheckCustomConfig is null;
        var selected = (noHealthCheck ? "ALL" : input["HealthStatus"]?.GetValue<string>() ?? "HEALTHY") switch
        {
            "HEALTHY" => healthy,
            "UNHEALTHY" => matching.Where(p => p.Instance.HealthStatus == "UNHEALTHY").ToList(),
            "HEALTHY_OR_ELSE_ALL" when healthy.Count == 0 => matching,
            "HEALTHY_OR_ELSE_ALL" => healthy,
            _ => matching,
        };

        // Optional parameters narrow the result only when some instance it would return matches them all: judged
        // after the health filter, so an unhealthy instance that matches them cannot hide the healthy ones.
        var optional = Pairs(input["OptionalParameters"]);
        if (optional.Count > 0 && selected.Where(p => Matches(p.Attributes, optional)).ToList() is { Count: > 0 } preferred)
        {
            selected = preferred;
        }
        var max = input["MaxResults"]?.GetValue<long>() is { } requested ? (int)requested : DefaultMaxResults;
        return new JsonObject
        {
            ["Instances"] = new JsonArray(selected.Take(max).Select(p => (JsonNode)new JsonObject
            {
                ["InstanceId"] = p.Instance.InstanceId,
                ["NamespaceName"] = namespaceName,
                ["ServiceName"] = service.Name,
                ["HealthStatus"] = CloudMapWire.HealthStatus(service, p.Instance),
                ["Attributes"] = p.Attributes.DeepClone(),
            }).ToArray()),
            ["InstancesRevision"] = service.Revision,
        };
    }

    public async Task<JsonObject> RevisionAsync(string accountId, JsonObject input, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var (_, service) = await FindAsync(db, accountId, input, cancellationToken);
        return new JsonObject { ["InstancesRevision"] = service.Revision };
    }

    private static async Task<(string NamespaceName, CloudMapServiceEntity Service)> FindAsync(MeshDbContext db, string accountId, JsonObject input, CancellationToken ct)
    {
        var namespaceName = input["NamespaceName"]!.GetValue<string>();
        var serviceName = input["ServiceName"]!.GetValue<string>();
        if (input["OwnerAccount"]?.GetValue<string>() is { } owner && owner != accountId)
        {
            // Namespaces are not shared across accounts here; another account's namespace is never visible.
            throw CloudMapErrors.NamespaceNameNotFound(namespaceName, owner, accountId);
        }

        var ns = await db.CloudMapNamespaces.AsNoTracking().SingleOrDefaultAsync(n => n.AccountId == accountId && n.Name == namespaceName, ct)
            ?? throw CloudMapErrors.NamespaceNameNotFound(namespaceName);
        var service = await db.CloudMapServices.AsNoTracking().SingleOrDefaultAsync(s => s.NamespaceId == ns.Id && s.Name == serviceName, ct)
            ?? throw CloudMapErrors.ServiceNameNotFound(namespaceName, serviceName);
        return (ns.Name, service);
    }

    private static List<(string Key, string Value)> Pairs(JsonNode? map) =>
        map is JsonObject obj ? obj.Select(p => (p.Key, p.Value!.GetValue<string>())).ToList() : [];

    private static bool Matches(JsonObject attributes, List<(string Key, string Value)> required) =>
        required.All(r => attributes[r.Key]?.GetValue<string>() == r.Value);
}
