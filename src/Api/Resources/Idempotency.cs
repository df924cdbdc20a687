using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Npgsql;

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
/// and the record can never outlive a rolled-back write. The claim travels in the write's first batch, followed by
/// a read of the record and a savepoint: when the token turns out to be taken, the write rolls back to that
/// savepoint (undoing its locks and quota count) and answers with the stored response.
/// </remarks>
public sealed class Idempotency
{
    private const string Savepoint = "claimed";

    private readonly string accountId;
    private readonly string operation;
    private readonly string? token;
    private readonly string hash;
    private readonly DateTimeOffset now;

    private Idempotency(string accountId, string operation, string? token, string hash, DateTimeOffset now)
    {
        this.accountId = accountId;
        this.operation = operation;
        this.token = token;
        this.hash = hash;
        this.now = now;
    }

    /// <summary>How long a token is remembered; an older record is pruned and no longer counts.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    /// <summary>The response of the first request with this token, when this is a faithful retry of it.</summary>
    public JsonObject? PreviousResponse { get; private set; }

    /// <summary>How many of the batch's results (row sets) <see cref="Statements"/> makes; the write's own follow them.</summary>
    public int ResultCount => token is null ? 0 : 2;

    /// <summary>Checks the request's clientToken (if any) and prepares its claim.</summary>
    public static Idempotency For(string accountId, string operation, JsonObject input, DateTimeOffset now)
    {
        var token = input["clientToken"]?.GetValue<string>();
        if (token is null)
        {
            return new Idempotency(accountId, operation, null, "", now);
        }

        if (token.Length is 0 or > 64 || token.Any(c => c is < '!' or > '~'))
        {
            throw AppMeshException.BadRequest("clientToken: must be 1 to 64 printable ASCII characters without spaces.");
        }

        // The request as it would be without its token, hashed without copying it.
        var hash = CanonicalJson.HashRequest(operation, input, left: "clientToken");
        return new Idempotency(accountId, operation, token, hash, now);
    }

    /// <summary>
    /// The claim (inserts the record, or takes over one old enough to be pruned; returns nothing when a live record
    /// with this token exists, committed by another call, possibly after waiting for it to commit), the record as
    /// it now stands, and the savepoint the write returns to if the claim failed.
    /// </summary>
    public IEnumerable<NpgsqlBatchCommand> Statements()
    {
        if (token is null)
        {
            yield break;
        }

        yield return WriteBatch.Statement("""
            INSERT INTO idempotency_records (account_id, client_token, operation, request_hash, response, created_at)
            VALUES ($1, $2, $3, $4, jsonb_build_object(), $5)
            ON CONFLICT (account_id, client_token) DO UPDATE
                SET operation = EXCLUDED.operation, request_hash = EXCLUDED.request_hash,
                    response = EXCLUDED.response, created_at = EXCLUDED.created_at
                WHERE idempotency_records.created_at < $6
            RETURNING 1
            """, accountId, token, operation, hash, now, now - Retention);
        yield return WriteBatch.Statement(
            "SELECT operation, request_hash, response::text FROM idempotency_records WHERE account_id = $1 AND client_token = $2",
            accountId, token);
        yield return WriteBatch.Statement($"SAVEPOINT {Savepoint}");
    }

    /// <summary>
    /// Reads the claim's outcome from the first batch's results. When the token was taken by an identical request,
    /// undoes the write's other statements and returns that request's response; the same token with another
    /// request is a ConflictException.
    /// </summary>
    public JsonObject? Settle(WriteBatch batch, IReadOnlyList<BatchResult> results)
    {
        if (token is null || results[0].Rows.Count == 1)
        {
            return null;
        }

        // The claim failed, so a live record exists; only a prune racing this write could remove it meanwhile.
        var record = results[1].Rows.SingleOrDefault()
            ?? throw new AppMeshException(ErrorCode.ServiceUnavailable, $"clientToken '{token}' changed hands while this request ran; retry it.");
        if ((string)record[0]! != operation || (string)record[1]! != hash)
        {
            throw AppMeshException.Conflict(
                $"clientToken '{token}' was already used for a different {(string)record[0]!} request; use a new token for a new request.");
        }

        batch.Queue($"ROLLBACK TO SAVEPOINT {Savepoint}");
        PreviousResponse = JsonNode.Parse((string)record[2]!)!.AsObject();
        return PreviousResponse;
    }

    /// <summary>Queues the response to be stored with the claimed token, with the rest of the write.</summary>
    public void Complete(WriteBatch batch, JsonObject response)
    {
        if (token is null)
        {
            return;
        }

        batch.Queue(
            "UPDATE idempotency_records SET response = $3::jsonb WHERE account_id = $1 AND client_token = $2",
            accountId, token, response.ToJsonString());
    }
}
