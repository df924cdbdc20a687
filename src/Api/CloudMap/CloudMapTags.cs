using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Api.Resources;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Api.CloudMap;

/// <summary>TagResource, UntagResource and ListTagsForResource on a namespace or service ARN.</summary>
public sealed class CloudMapTags(IDbContextFactory<MeshDbContext> contexts, WriteTransactions writes)
{
    /// <summary>Cloud Map's limit of tags per resource.</summary>
    public const int MaxTagsPerResource = 50;

    /// <summary>The tags of a create request, checked against the limit and without repeated keys (the last wins).</summary>
    public static string Normalize(JsonArray? tags, string resource)
    {
        var merged = Merge(new JsonArray(), tags);
        if (merged.Count > MaxTagsPerResource)
        {
            throw CloudMapErrors.TooManyTags(resource, MaxTagsPerResource, merged.Count);
        }

        return merged.ToJsonString();
    }

    public Task<JsonObject> TagAsync(ApiCall call, JsonObject input, CancellationToken cancellationToken)
    {
        var arn = input["ResourceARN"]!.GetValue<string>();
        return writes.RunAsync(call, arn, async (db, ct) =>
        {
            var (ns, service) = await LockAsync(db, call.AccountId, arn, ct);
            var merged = Merge(JsonNode.Parse(ns?.Tags ?? service!.Tags)!.AsArray(), input["Tags"] as JsonArray);
            if (merged.Count > MaxTagsPerResource)
            {
                throw CloudMapErrors.TooManyTags(arn, MaxTagsPerResource, merged.Count);
            }

            Store(ns, service, merged);
            return new JsonObject();
        }, cancellationToken);
    }

    public Task<JsonObject> UntagAsync(ApiCall call, JsonObject input, CancellationToken cancellationToken)
    {
        var arn = input["ResourceARN"]!.GetValue<string>();
        var keys = input["TagKeys"]!.AsArray().Select(k => k!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        return writes.RunAsync(call, arn, async (db, ct) =>
        {
            var (ns, service) = await LockAsync(db, call.AccountId, arn, ct);
            var kept = new JsonArray(JsonNode.Parse(ns?.Tags ?? service!.Tags)!.AsArray()
                .Where(t => !keys.Contains(t!["Key"]!.GetValue<string>())).Select(t => t!.DeepClone()).ToArray());
            Store(ns, service, kept);
            return new JsonObject();
        }, cancellationToken);
    }

    public async Task<JsonObject> ListAsync(string accountId, JsonObject input, CancellationToken cancellationToken)
    {
        var arn = input["ResourceARN"]!.GetValue<string>();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var tags = await db.CloudMapNamespaces.Where(n => n.Arn == arn && n.AccountId == accountId).Select(n => n.Tags).SingleOrDefaultAsync(cancellationToken)
            ?? await db.CloudMapServices.Where(s => s.Arn == arn && s.AccountId == accountId).Select(s => s.Tags).SingleOrDefaultAsync(cancellationToken)
            ?? throw CloudMapErrors.ResourceNotFound(arn);
        return new JsonObject { ["Tags"] = CloudMapWire.Tags(tags) };
    }

    private static async Task<(CloudMapNamespaceEntity?, CloudMapServiceEntity?)> LockAsync(MeshDbContext db, string accountId, string arn, CancellationToken ct)
    {
        var ns = await db.CloudMapNamespaces.FromSql($"SELECT * FROM cloud_map_namespaces WHERE arn = {arn} AND account_id = {accountId} FOR NO KEY UPDATE")
            .SingleOrDefaultAsync(ct);
        if (ns is not null)
        {
            return (ns, null);
        }

        var service = await db.CloudMapServices.FromSql($"SELECT * FROM cloud_map_services WHERE arn = {arn} AND account_id = {accountId} FOR NO KEY UPDATE")
            .SingleOrDefaultAsync(ct);
        return service is not null ? (null, service) : throw CloudMapErrors.ResourceNotFound(arn);
    }

    private static void Store(CloudMapNamespaceEntity? ns, CloudMapServiceEntity? service, JsonArray tags)
    {
        if (ns is not null)
        {
            ns.Tags = tags.ToJsonString();
        }
        else
        {
            service!.Tags = tags.ToJsonString();
        }
    }

    private static JsonArray Merge(JsonArray existing, JsonArray? added)
    {
        foreach (var tag in added ?? [])
        {
            var key = tag!["Key"]!.GetValue<string>();
            if (existing.FirstOrDefault(t => t!["Key"]!.GetValue<string>() == key) is { } same)
            {
                same["Value"] = tag["Value"]!.DeepClone();
            }
            else
            {
                existing.Add(new JsonObject { ["Key"] = key, ["Value"] = tag["Value"]!.DeepClone() });
            }
        }

        return existing;
    }
}
