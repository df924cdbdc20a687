using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Api.Resources;

/// <summary>
/// clientToken handling. A retry with the same token and the same request gets the original response
/// and changes nothing; the same token with a different request is a ConflictException. The record is
/// written in the same transaction as the change, so a token never outlives a rolled-back write.
/// </summary>
public sealed class Idempotency
{
    private readonly string accountId;
    private readonly string? token;
    private readonly string operation;
    private readonly string requestHash;

    private Idempotency(string accountId, string? token, string operation, string requestHash, JsonObject? previousResponse)
    {
        this.accountId = accountId;
        this.token = token;
        this.operation = operation;
        this.requestHash = requestHash;
        PreviousResponse = previousResponse;
    }

    /// <summary>How long a token is remembered; an older record is pruned and no longer counts.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    /// <summary>The response of the first request with this token, when this is a faithful retry of it.</summary>
    public JsonObject? PreviousResponse { get; }

    public static async Task<Idempotency> BeginAsync(MeshDbContext db, string accountId, string operation, JsonObject input, DateTimeOffset now, CancellationToken ct)
    {
        var token = input["clientToken"]?.GetValue<string>();
        var request = (JsonObject)input.DeepClone();
        request.Remove("clientToken");
        var hash = CanonicalJson.Hash(new JsonObject { ["operation"] = operation, ["input"] = request });
        if (token is null)
        {
            return new Idempotency(accountId, null, operation, hash, null);
        }

        if (token.Length > 64 || token.Any(c => c is < '!' or > '~'))
        {
            throw AppMeshException.BadRequest("clientToken: must be 1 to 64 printable ASCII characters without spaces.");
        }

        var record = await db.IdempotencyRecords
            .SingleOrDefaultAsync(r => r.AccountId == accountId && r.ClientToken == token, ct);
        if (record is not null && record.CreatedAt < now - Retention)
        {
            // Expired but not yet pruned: the token is free again.
            db.IdempotencyRecords.Remove(record);
            await db.SaveChangesAsync(ct);
            record = null;
        }

        if (record is null)
        {
            return new Idempotency(accountId, token, operation, hash, null);
        }

        if (record.Operation != operation || record.RequestHash != hash)
        {
            throw AppMeshException.Conflict(
                $"clientToken '{token}' was already used for a different {record.Operation} request; use a new token for a new request.");
        }

        return new Idempotency(accountId, token, operation, hash, JsonNode.Parse(record.Response)!.AsObject());
    }

    public async Task CompleteAsync(MeshDbContext db, JsonObject response, DateTimeOffset now, CancellationToken ct)
    {
        if (token is null)
        {
            return;
        }

        db.IdempotencyRecords.Add(new IdempotencyRecordEntity
        {
            AccountId = accountId,
            ClientToken = token,
            Operation = operation,
            RequestHash = requestHash,
            Response = response.ToJsonString(),
            CreatedAt = now,
        });
        await db.SaveChangesAsync(ct);
    }
}
