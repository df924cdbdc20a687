using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Api.Resources;

/// <summary>
/// clientToken handling. A retry with the same token and the same request gets the original response and
/// changes nothing; the same token with a different request is a ConflictException.
/// </summary>
/// <remarks>
/// The token is claimed first thing in the write's transaction by inserting its record. A concurrent call with
/// the same token (an SDK's retry racing the original) blocks on that uncommitted row until the first commits,
/// then finds the finished record and returns its response; if the first rolls back, the second claims the
/// token and runs. So the decision is made before any uniqueness conflict of the resource itself can happen,
/// and the record can never outlive a rolled-back write.
/// </remarks>
public sealed class Idempotency
{
    private readonly IdempotencyRecordEntity? claim;

    private Idempotency(IdempotencyRecordEntity? claim, JsonObject? previousResponse)
    {
        this.claim = claim;
        PreviousResponse = previousResponse;
    }

    /// <summary>How long a token is remembered; an older record is pruned and no longer counts.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    /// <summary>The response of the first request with this token, when this is a faithful retry of it.</summary>
    public JsonObject? PreviousResponse { get; }

    public static async Task<Idempotency> ClaimAsync(MeshDbContext db, string accountId, string operation, JsonObject input, DateTimeOffset now, CancellationToken ct)
    {
        var token = input["clientToken"]?.GetValue<string>();
        if (token is null)
        {
            return new Idempotency(null, null);
        }

        if (token.Length is 0 or > 64 || token.Any(c => c is < '!' or > '~'))
        {
            throw AppMeshException.BadRequest("clientToken: must be 1 to 64 printable ASCII characters without spaces.");
        }

        var request = (JsonObject)input.DeepClone();
        request.Remove("clientToken");
        var hash = CanonicalJson.Hash(new JsonObject { ["operation"] = operation, ["input"] = request });
        var expired = now - Retention;

        // Inserts the claim, or takes over a record old enough to be pruned; returns nothing when a live record
        // with this token exists (committed by another call, possibly after waiting for it to commit).
        var claimed = await db.Database.SqlQuery<int>($"""
            INSERT INTO idempotency_records (account_id, client_token, operation, request_hash, response, created_at)
            VALUES ({accountId}, {token}, {operation}, {hash}, jsonb_build_object(), {now})
            ON CONFLICT (account_id, client_token) DO UPDATE
                SET operation = EXCLUDED.operation, request_hash = EXCLUDED.request_hash,
                    response = EXCLUDED.response, created_at = EXCLUDED.created_at
                WHERE idempotency_records.created_at < {expired}
            RETURNING 1 AS "Value"
            """).ToListAsync(ct);
        if (claimed.Count == 1)
        {
            return new Idempotency(
                new IdempotencyRecordEntity { AccountId = accountId, ClientToken = token, Operation = operation, RequestHash = hash, Response = "{}", CreatedAt = now },
                null);
        }

        var record = await db.IdempotencyRecords.AsNoTracking().SingleAsync(r => r.AccountId == accountId && r.ClientToken == token, ct);
        if (record.Operation != operation || record.RequestHash != hash)
        {
            throw AppMeshException.Conflict(
                $"clientToken '{token}' was already used for a different {record.Operation} request; use a new token for a new request.");
        }

        return new Idempotency(null, JsonNode.Parse(record.Response)!.AsObject());
    }

    /// <summary>Stores the response with the claimed token; saved with the rest of the write.</summary>
    public void Complete(MeshDbContext db, JsonObject response)
    {
        if (claim is null)
        {
            return;
        }

        claim.Response = response.ToJsonString();
        db.IdempotencyRecords.Attach(claim);
        db.Entry(claim).Property(r => r.Response).IsModified = true;
    }
}
