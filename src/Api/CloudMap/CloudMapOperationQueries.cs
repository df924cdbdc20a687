using System.Globalization;
using System.Text.Json.Nodes;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Api.CloudMap;

/// <summary>GetOperation and ListOperations.</summary>
public sealed class CloudMapOperationQueries(IDbContextFactory<MeshDbContext> contexts, CloudMapPages pages)
{
    public async Task<JsonObject> GetAsync(string accountId, JsonObject input, CancellationToken cancellationToken)
    {
        var id = input["OperationId"]!.GetValue<string>();
        if (input["OwnerAccount"]?.GetValue<string>() is { } owner && owner != accountId)
        {
            // OwnerAccount names the account of a namespace shared with the caller; nothing is shared here.
            throw CloudMapErrors.OperationNotFound(id, owner, accountId);
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var operation = await db.CloudMapOperations.AsNoTracking().SingleOrDefaultAsync(o => o.Id == id && o.AccountId == accountId, cancellationToken)
            ?? throw CloudMapErrors.OperationNotFound(id);
        return new JsonObject { ["Operation"] = CloudMapWire.Operation(operation) };
    }

    public async Task<JsonObject> ListAsync(string accountId, JsonObject input, CancellationToken cancellationToken)
    {
        static string Target(CloudMapOperationEntity o, string type) => JsonNode.Parse(o.Targets)?[type]?.GetValue<string>() ?? "";
        var filter = CloudMapFilters.Build(input["Filters"] as JsonArray, new Dictionary<string, CloudMapFilters.Field<CloudMapOperationEntity>>
        {
            ["NAMESPACE_ID"] = new(["EQ"], o => Target(o, "NAMESPACE")),
            ["SERVICE_ID"] = new(["EQ"], o => Target(o, "SERVICE")),
            ["STATUS"] = CloudMapFilters.Enumerated<CloudMapOperationEntity>(["EQ", "IN"], o => o.Status, "OperationStatus"),
            ["TYPE"] = CloudMapFilters.Enumerated<CloudMapOperationEntity>(["EQ", "IN"], o => o.Type, "OperationType"),
            ["UPDATE_DATE"] = new(["BETWEEN"], o => (o.UpdatedAt.ToUnixTimeMilliseconds() / 1000.0).ToString(CultureInfo.InvariantCulture)),
        });
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var (page, next) = await pages.PageAsync(db.CloudMapOperations.AsNoTracking().Where(o => o.AccountId == accountId), o => o.Id, filter, input, CloudMapPages.Scope("ListOperations", accountId, input), 100, cancellationToken);
        return CloudMapPages.Answer(
            new JsonObject
            {
                ["Operations"] = new JsonArray(page.Select(o => (JsonNode)new JsonObject { ["Id"] = o.Id, ["Status"] = o.Status }).ToArray()),
            },
            next);
    }
}
