using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Protocol;

namespace Mesh.Api.Resources;

/// <summary>
/// clientToken handling. A retry with the same token and the same request gets the original response and
/// changes nothing; the same token with a different request is a ConflictException.
/// </summary>
/// <remarks>
/// The write function claims the token first thing in the write's transaction by inserting its record
/// (<c>mesh_claim_token</c>, migration <c>WriteFunctions</c>). A concurrent call with the same token (an SDK's retry
/// racing the original) blocks on that uncommitted row until the first commits, then finds the finished record and
/// returns its response without writing anything; if the first rolls back, the second claims the token and runs. So
/// the decision is made before any uniqueness conflict of the resource itself can happen, and the record can never
/// outlive a rolled-back write. The record keeps what the answer needs of the first call (the uid, the version written,
/// the resource's creation time and the write's time, migration IdempotencyRecordFacts), not the answer's text: a replay
/// is a request with the first's hash, so rendering it with those values gives the first answer's bytes.
/// </remarks>
public sealed class Idempotency
{
    private Idempotency(string operation, string? token, string hash, DateTimeOffset now)
    {
        Operation = operation;
        Token = token;
        Hash = hash;
        Cutoff = now - Retention;
    }

    /// <summary>How long a token is remembered; an older record is pruned and no longer counts.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    /// <summary>The request's clientToken, or null when it sent none (then nothing is claimed or stored).</summary>
    public string? Token { get; }

    public string Operation { get; }

    /// <summary>The canonical hash of the request without its token: what a faithful retry repeats.</summary>
    public string Hash { get; }

    /// <summary>Records created before this are old enough to be pruned: a claim takes them over.</summary>
    public DateTimeOffset Cutoff { get; }

    /// <summary>Checks the request's clientToken (if any) and prepares its claim.</summary>
    public static Idempotency For(string operation, JsonObject input, DateTimeOffset now)
    {
        var token = input["clientToken"]?.GetValue<string>();
        if (token is null)
        {
            return new Idempotency(operation, null, "", now);
        }

        if (token.Length is 0 or > 64 || token.Any(c => c is < '!' or > '~'))
        {
            throw AppMeshException.BadRequest("clientToken: must be 1 to 64 printable ASCII characters without spaces.");
        }

        // The request as it would be without its token, hashed without copying it.
        var hash = CanonicalJson.HashRequest(operation, input, left: "clientToken");
        return new Idempotency(operation, token, hash, now);
    }

    /// <summary>
    /// The stored response a write function returned for a faithful retry whose record holds its answer's text (one
    /// written before migration IdempotencyRecordFacts), null otherwise. Each
    /// member is kept as the stored text's bytes (<see cref="RawJson"/>) and sent as they are, so the replay answers
    /// exactly the bytes of the first answer (a parsed tree would be written again, with this writer's escaping).
    /// </summary>
    public static JsonObject? Replayed(object? storedResponse)
    {
        if (storedResponse is not string text)
        {
            return null;
        }

        var replayed = new JsonObject();
        using var stored = JsonDocument.Parse(text);
        foreach (var member in stored.RootElement.EnumerateObject())
        {
            replayed[member.Name] = RawJson.Of(Encoding.UTF8.GetBytes(member.Value.GetRawText()));
        }

        return replayed;
    }

    /// <summary>The ConflictException for a token used for another request, the retryable error for a record pruned meanwhile; null for any other error.</summary>
    public AppMeshException? Refusal(Exception error)
    {
        if (WriteRefusals.Facts(error, WriteRefusals.TokenReused) is { } otherOperation)
        {
            return AppMeshException.Conflict(
                $"clientToken '{Token}' was already used for a different {otherOperation} request; use a new token for a new request.");
        }

        // The claim failed, so a live record existed; only a prune racing this write could remove it meanwhile.
        return WriteRefusals.Facts(error, WriteRefusals.TokenChangedHands) is not null
            ? new AppMeshException(ErrorCode.ServiceUnavailable, $"clientToken '{Token}' changed hands while this request ran; retry it.")
            : null;
    }
}
