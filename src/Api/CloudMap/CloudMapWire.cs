using System.Text.Json.Nodes;
using Mesh.Persistence;

namespace Mesh.Api.CloudMap;

/// <summary>Stored Cloud Map rows as the wire's shapes (Namespace, Service, Instance, Operation and their summaries).</summary>
public static class CloudMapWire
{
    /// <summary>awsJson1.1 sends timestamps as epoch seconds, with milliseconds as the fraction.</summary>
    public static JsonNode Epoch(DateTimeOffset at) => JsonValue.Create(at.ToUnixTimeMilliseconds() / 1000.0);

    public static JsonObject Namespace(CloudMapNamespaceEntity ns, int serviceCount, bool summary = false)
    {
        var result = new JsonObject
        {
            ["Id"] = ns.Id,
            ["Arn"] = ns.Arn,
            ["Name"] = ns.Name,
            ["Type"] = ns.Type,
            ["Properties"] = JsonNode.Parse(ns.Properties),
            ["ServiceCount"] = serviceCount,
            ["CreateDate"] = Epoch(ns.CreatedAt),
            ["ResourceOwner"] = ns.AccountId,
        };
        SetIfPresent(result, "Description", ns.Description);
        if (!summary)
        {
            SetIfPresent(result, "CreatorRequestId", ns.CreatorRequestId);
        }

        return result;
    }

    public static JsonObject Service(CloudMapServiceEntity service, int instanceCount, bool summary = false)
    {
        var result = new JsonObject
        {
            ["Id"] = service.Id,
            ["Arn"] = service.Arn,
            ["Name"] = service.Name,
            ["Type"] = service.Type,
            ["InstanceCount"] = instanceCount,
            ["CreateDate"] = Epoch(service.CreatedAt),
            ["CreatedByAccount"] = service.AccountId,
            ["ResourceOwner"] = service.AccountId,
        };
        if (!summary)
        {
            result["NamespaceId"] = service.NamespaceId;
            SetIfPresent(result, "CreatorRequestId", service.CreatorRequestId);
        }

        SetIfPresent(result, "Description", service.Description);
        SetJsonIfPresent(result, "DnsConfig", service.DnsConfig);
        SetJsonIfPresent(result, "HealthCheckConfig", service.HealthCheckConfig);
        SetJsonIfPresent(result, "HealthCheckCustomConfig", service.HealthCheckCustomConfig);
        return result;
    }

    public static JsonObject Instance(CloudMapInstanceEntity instance, bool summary = false)
    {
        var result = new JsonObject
        {
            ["Id"] = instance.InstanceId,
            ["Attributes"] = JsonNode.Parse(instance.Attributes),
            ["CreatedByAccount"] = instance.AccountId,
        };
        if (!summary)
        {
            SetIfPresent(result, "CreatorRequestId", instance.CreatorRequestId);
        }

        return result;
    }

    /// <summary>
    /// An instance's health as DiscoverInstances and GetInstancesHealthStatus report it: UNKNOWN when its service has
    /// no health check of either kind, as Cloud Map answers (such an instance is stored HEALTHY, so that the HEALTHY
    /// filter and the xDS endpoints keep it: Cloud Map routes to it "regardless of the instances' health status").
    /// </summary>
    public static string HealthStatus(CloudMapServiceEntity service, CloudMapInstanceEntity instance) =>
        service.HealthCheckConfig is null && service.HealthCheckCustomConfig is null ? "UNKNOWN" : instance.HealthStatus;

    public static JsonObject Operation(CloudMapOperationEntity operation) => new()
    {
        ["Id"] = operation.Id,
        ["OwnerAccount"] = operation.AccountId,
        ["Type"] = operation.Type,
        ["Status"] = operation.Status,
        ["Targets"] = JsonNode.Parse(operation.Targets),
        ["CreateDate"] = Epoch(operation.CreatedAt),
        ["UpdateDate"] = Epoch(operation.UpdatedAt),
    };

    /// <summary>Cloud Map tags ({Key, Value}) as stored and as sent.</summary>
    public static JsonArray Tags(string stored) => JsonNode.Parse(stored)!.AsArray();

    private static void SetIfPresent(JsonObject target, string name, string? value)
    {
        if (value is not null)
        {
            target[name] = value;
        }
    }

    private static void SetJsonIfPresent(JsonObject target, string name, string? json)
    {
        if (json is not null)
        {
            target[name] = JsonNode.Parse(json);
        }
    }
}
