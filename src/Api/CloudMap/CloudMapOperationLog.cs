using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Api.CloudMap;

/// <summary>
/// The operations of Cloud Map's asynchronous calls. Here they finish inside the call's own transaction, so each is
/// stored as SUCCESS with the call's change: GetOperation never shows SUBMITTED or PENDING.
/// </summary>
/// <remarks>
/// A CreatorRequestId or UpdaterRequestId is claimed first in the write's transaction by inserting the operation
/// row (the unique index on account and request id is the claim, as with App Mesh's clientToken). A racing call with
/// the same id waits for the first to commit, then finds its operation: the same request gets the same OperationId
/// and changes nothing; another request is DuplicateRequest naming the operation.
/// </remarks>
public sealed class CloudMapOperationLog
{
    private readonly CloudMapOperationEntity operation;
    private readonly bool claimed;

    private CloudMapOperationLog(CloudMapOperationEntity operation, bool claimed, string? previousOperationId)
    {
        this.operation = operation;
        this.claimed = claimed;
        PreviousOperationId = previousOperationId;
    }

    public string OperationId => operation.Id;

    /// <summary>The operation of the first call with this request id, when this call is a faithful retry of it.</summary>
    public string? PreviousOperationId { get; }

    public static async Task<CloudMapOperationLog> BeginAsync(
        MeshDbContext db, string accountId, string type, string? requestId, JsonObject input, DateTimeOffset now, CancellationToken ct)
    {
        var entity = new CloudMapOperationEntity
        {
            Id = CloudMapIds.NewOperationId(),
            AccountId = accountId,
            Type = type,
            Status = "SUCCESS",
            Targets = "{}",
            CreatedAt = now,
            UpdatedAt = now,
        };
        if (requestId is null)
        {
            return new CloudMapOperationLog(entity, claimed: false, null);
        }

        var request = (JsonObject)input.DeepClone();
        request.Remove("CreatorRequestId");
        request.Remove("UpdaterRequestId");
        var hash = CanonicalJson.Hash(new JsonObject { ["type"] = type, ["input"] = request });
        entity.RequestId = requestId;
        entity.RequestHash = hash;
        // The claim is retried once: the earlier operation that made it conflict may be pruned (Mesh:Retention:
        // CloudMapOperations) before it is read, and then the id is free again.
        for (var attempt = 0; ; attempt++)
        {
            var inserted = await db.Database.SqlQuery<int>($"""
                INSERT INTO cloud_map_operations (id, account_id, type, status, targets, request_id, request_hash, created_at, updated_at)
                VALUES ({entity.Id}, {accountId}, {type}, {entity.Status}, {entity.Targets}::jsonb, {requestId}, {hash}, {now}, {now})
                ON CONFLICT (account_id, request_id) WHERE request_id IS NOT NULL DO NOTHING
                RETURNING 1 AS "Value"
                """).ToListAsync(ct);
            if (inserted.Count == 1)
            {
                return new CloudMapOperationLog(entity, claimed: true, null);
            }

            var previous = await db.CloudMapOperations.AsNoTracking().SingleOrDefaultAsync(o => o.AccountId == accountId && o.RequestId == requestId, ct);
            if (previous is null && attempt == 0)
            {
                continue;
            }

            if (previous is null)
            {
                throw new InvalidOperationException($"The request id {requestId} was claimed and its operation pruned twice while this call ran.");
            }

            if (previous.Type != type || previous.RequestHash != hash)
            {
                throw CloudMapErrors.DuplicateRequest(requestId, previous.Id, previous.Type);
            }

            return new CloudMapOperationLog(previous, claimed: false, previous.Id);
        }
    }

    /// <summary>Records what the operation acted on; saved with the rest of the write.</summary>
    public JsonObject Complete(MeshDbContext db, IReadOnlyDictionary<string, string> targets)
    {
        operation.Targets = new JsonObject(targets.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)JsonValue.Create(t.Value)))).ToJsonString();
        if (claimed)
        {
            db.CloudMapOperations.Attach(operation);
            db.Entry(operation).Property(o => o.Targets).IsModified = true;
        }
        else
        {
            db.CloudMapOperations.Add(operation);
        }

        return new JsonObject { ["OperationId"] = operation.Id };
    }
}
