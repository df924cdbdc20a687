using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Model.Resources;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Mesh.Api.Resources;

/// <summary>TagResource, UntagResource and ListTagsForResource, addressed by ARN on any of the seven kinds.</summary>
public sealed class TagOperations(
    IDbContextFactory<MeshDbContext> contexts,
    WriteTransactions writes,
    PageTokens pageTokens,
    IOptions<MeshApiOptions> options,
    TimeProvider clock)
{
    public async Task<JsonObject> TagAsync(ApiCall call, JsonObject input, CancellationToken cancellationToken)
    {
        var (arn, id) = CheckArn(input);
        var added = Tags.Normalize(input["tags"] as JsonArray);
        return await writes.RunAsync(call, arn, async (db, ct) =>
        {
            var entity = await LockByArnAsync(call.AccountId, db, arn, id, ct);
            var merged = JsonNode.Parse(entity.Tags)!.AsArray();
            foreach (var tag in added)
            {
                var key = tag!["key"]!.GetValue<string>();
                var existing = merged.FirstOrDefault(t => t!["key"]!.GetValue<string>() == key);
                if (existing is not null)
                {
                    existing["value"] = tag["value"]!.DeepClone();
                }
                else
                {
                    merged.Add(tag.DeepClone());
                }
            }

            var limit = options.Value.Quotas.TagsPerResource;
            if (merged.Count > limit)
            {
                throw new AppMeshException(ErrorCode.TooManyTags,
                    $"{arn} would have {merged.Count} tags; a resource may have at most {limit}.");
            }

            if (entity.Kind == ResourceKind.Mesh.WireName)
            {
                TracingTagRules.CheckTag(added, merged);
            }

            SaveTags(db, entity, merged);
            return [];
        }, cancellationToken);
    }

    public async Task<JsonObject> UntagAsync(ApiCall call, JsonObject input, CancellationToken cancellationToken)
    {
        var (arn, id) = CheckArn(input);
        var keys = input["tagKeys"]!.AsArray().Select(k => k!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        return await writes.RunAsync(call, arn, async (db, ct) =>
        {
            var entity = await LockByArnAsync(call.AccountId, db, arn, id, ct);
            var remaining = new JsonArray(JsonNode.Parse(entity.Tags)!.AsArray()
                .Where(t => !keys.Contains(t!["key"]!.GetValue<string>()))
                .Select(t => t!.DeepClone())
                .ToArray());
            SaveTags(db, entity, remaining);
            return [];
        }, cancellationToken);
    }

    public async Task<JsonObject> ListAsync(string account, JsonObject input, CancellationToken cancellationToken)
    {
        var (arn, id) = CheckArn(input);
        var limit = (int)(input["limit"]?.GetValue<long>() ?? 50);
        var scope = $"tags/{arn}";
        var after = input["nextToken"]?.GetValue<string>() is { } token
            ? await pageTokens.ReadAsync(token, scope, cancellationToken)
            : null;

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // By the identity the ARN names (ux_resources_identity), and only with this very ARN (see ResourceLocks).
        var entity = await db.Resources.AsNoTracking().SingleOrDefaultAsync(
                r => r.AccountId == account && r.MeshName == id.MeshName && r.Kind == id.Kind.WireName
                     && r.ParentName == id.ParentName && r.Name == id.Name && r.Arn == arn, cancellationToken)
            ?? throw NoSuchArn(arn);
        var sorted = JsonNode.Parse(entity.Tags)!.AsArray()
            .OrderBy(t => t!["key"]!.GetValue<string>(), StringComparer.Ordinal)
            .Where(t => after is null || string.CompareOrdinal(t!["key"]!.GetValue<string>(), after) > 0)
            .ToList();

        var output = new JsonObject { ["tags"] = new JsonArray(sorted.Take(limit).Select(t => t!.DeepClone()).ToArray()) };
        if (sorted.Count > limit)
        {
            output["nextToken"] = await pageTokens.IssueAsync(scope, sorted[limit - 1]!["key"]!.GetValue<string>(), cancellationToken);
        }

        return output;
    }

    /// <summary>The ARN and the resource it names.</summary>
    private static (string Arn, ResourceId Id) CheckArn(JsonObject input)
    {
        var arn = input["resourceArn"]!.GetValue<string>();
        return ResourceId.TryParseArn(arn) is { } parsed
            ? (arn, parsed.Id)
            : throw AppMeshException.BadRequest(
                $"resourceArn: '{arn}' is not an App Mesh ARN (arn:aws:appmesh:<region>:<account>:mesh/<mesh>[/<kind>/<name>...]).");
    }

    /// <summary>The resource, locked so that concurrent tag changes apply one after the other and none is lost.</summary>
    private static async Task<ResourceEntity> LockByArnAsync(string account, MeshDbContext db, string arn, ResourceId id, CancellationToken ct) =>
        await ResourceLocks.ForUpdateAsync(db, account, arn, id, ct) ?? throw NoSuchArn(arn);

    private static AppMeshException NoSuchArn(string arn) => AppMeshException.NotFound($"No resource with ARN {arn} exists.");

    private void SaveTags(MeshDbContext db, ResourceEntity entity, JsonArray tags)
    {
        entity.Tags = tags.ToJsonString();
        ChangeLog.Append(db, entity, "tag", clock.GetUtcNow());
    }
}
