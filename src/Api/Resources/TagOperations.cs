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
    public async Task<JsonObject> TagAsync(string account, JsonObject input, CancellationToken cancellationToken)
    {
        var arn = input["resourceArn"]!.GetValue<string>();
        var added = Tags.Normalize(input["tags"] as JsonArray);
        await writes.RunAsync($"TagResource {arn}", async (db, ct) =>
        {
            var entity = await FindByArnAsync(account, db, arn, ct);
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

            await SaveTagsAsync(db, entity, merged, ct);
            return 0;
        }, cancellationToken);
        return [];
    }

    public async Task<JsonObject> UntagAsync(string account, JsonObject input, CancellationToken cancellationToken)
    {
        var arn = input["resourceArn"]!.GetValue<string>();
        var keys = input["tagKeys"]!.AsArray().Select(k => k!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        await writes.RunAsync($"UntagResource {arn}", async (db, ct) =>
        {
            var entity = await FindByArnAsync(account, db, arn, ct);
            var remaining = new JsonArray(JsonNode.Parse(entity.Tags)!.AsArray()
                .Where(t => !keys.Contains(t!["key"]!.GetValue<string>()))
                .Select(t => t!.DeepClone())
                .ToArray());
            await SaveTagsAsync(db, entity, remaining, ct);
            return 0;
        }, cancellationToken);
        return [];
    }

    public async Task<JsonObject> ListAsync(string account, JsonObject input, CancellationToken cancellationToken)
    {
        var arn = input["resourceArn"]!.GetValue<string>();
        var limit = (int)(input["limit"]?.GetValue<long>() ?? 50);
        var scope = $"tags/{arn}";
        var after = input["nextToken"]?.GetValue<string>() is { } token
            ? await pageTokens.ReadAsync(token, scope, cancellationToken)
            : null;

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var entity = await FindByArnAsync(account, db, arn, cancellationToken);
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

    private static async Task<ResourceEntity> FindByArnAsync(string account, MeshDbContext db, string arn, CancellationToken ct)
    {
        if (ResourceId.TryParseArn(arn) is null)
        {
            throw AppMeshException.BadRequest(
                $"resourceArn: '{arn}' is not an App Mesh ARN (arn:aws:appmesh:<region>:<account>:mesh/<mesh>[/<kind>/<name>...]).");
        }

        return await db.Resources.SingleOrDefaultAsync(r => r.Arn == arn && r.AccountId == account, ct)
            ?? throw AppMeshException.NotFound($"No resource with ARN {arn} exists.");
    }

    private async Task SaveTagsAsync(MeshDbContext db, ResourceEntity entity, JsonArray tags, CancellationToken ct)
    {
        entity.Tags = tags.ToJsonString();
        await db.SaveChangesAsync(ct);
        await ChangeLog.AppendAsync(db, entity, "tag", clock.GetUtcNow(), ct);
    }
}
