using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Api.Resources;

/// <summary>
/// Opaque, signed nextToken values for keyset pagination. A token carries the last key returned (its UTF-8) and an
/// HMAC of that key and the list it belongs to (keyed by a secret kept in the database, so every replica agrees), which
/// makes a forged or garbled token, or one of another list, detectable; keyset paging stays correct under concurrent writes.
/// </summary>
/// <remarks>
/// The list's scope is signed, not carried: a token is then at most about 1,050 characters (a key of 255 characters of
/// the Basic Multilingual Plane, or a tag key of 128 of any plane), however long the list's mesh and parent names or
/// its ARN are. A token that carried both as JSON escaped every non-ASCII character as six (<c>\u00E9</c>), grew past
/// what <see cref="TryDecode"/> reads back, and the API refused the tokens it had issued for such lists.
/// </remarks>
public sealed class PageTokens(IDbContextFactory<MeshDbContext> contexts)
{
    private const string KeySetting = "page_token_key";
    private byte[]? key;

    public async Task<string> IssueAsync(string scope, string lastKey, CancellationToken cancellationToken)
    {
        var after = Encoding.UTF8.GetBytes(lastKey);
        var signature = Sign(await KeyAsync(cancellationToken), scope, after);
        return $"{Base64Url(after)}.{Base64Url(signature)}";
    }

    /// <summary>The last key of the previous page, or a BadRequest if the token was not issued for this list.</summary>
    public async Task<string> ReadAsync(string token, string scope, CancellationToken cancellationToken)
    {
        var parts = token.Split('.');
        if (parts.Length == 2 && TryDecode(parts[0], out var payload) && TryDecode(parts[1], out var signature))
        {
            var secret = await KeyAsync(cancellationToken);
            if (CryptographicOperations.FixedTimeEquals(Sign(secret, scope, payload), signature))
            {
                return Encoding.UTF8.GetString(payload);
            }

            if (ReadEarlierFormat(secret, payload, signature, scope) is { } after)
            {
                return after;
            }
        }

        throw Protocol.AppMeshException.BadRequest("nextToken: is not a token this API issued for this list; pass the nextToken of the previous page unchanged.");
    }

    /// <summary>
    /// The first 16 bytes of the HMAC of the scope's UTF-8, preceded by its length (so no scope and key run into
    /// another pair's), and the key's UTF-8.
    /// </summary>
    private static byte[] Sign(byte[] secret, string scope, byte[] after)
    {
        var scopeLength = Encoding.UTF8.GetByteCount(scope);
        var message = new byte[sizeof(int) + scopeLength + after.Length];
        BinaryPrimitives.WriteInt32BigEndian(message, scopeLength);
        Encoding.UTF8.GetBytes(scope, message.AsSpan(sizeof(int)));
        after.CopyTo(message.AsSpan(sizeof(int) + scopeLength));
        return HMACSHA256.HashData(secret, message).AsSpan(0, 16).ToArray();
    }

    /// <summary>
    /// The key of a token in the earlier format (the JSON of its scope and key, and the HMAC of that JSON), so a listing
    /// that began before an upgrade goes on. Its JSON never starts as a signed message does (with the scope's length, a
    /// zero byte first), so no earlier token passes as one of the current format; and a current token's signed message
    /// sent as an earlier payload, whose HMAC it carries, is no JSON, and is refused.
    /// </summary>
    private static string? ReadEarlierFormat(byte[] secret, byte[] payload, byte[] signature, string scope)
    {
        if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(secret, payload).AsSpan(0, 16), signature))
        {
            return null;
        }

        // The signature passes for a payload that is not JSON too: a token of the current format whose payload is
        // replaced by its whole signed message (scope length, scope, key) carries the HMAC of that message.
        try
        {
            var decoded = JsonSerializer.Deserialize<EarlierPayload>(payload);
            return decoded is not null && decoded.Scope == scope ? decoded.After : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<byte[]> KeyAsync(CancellationToken cancellationToken)
    {
        if (key is not null)
        {
            return key;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var candidate = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await db.Database.ExecuteSqlAsync(
            $"INSERT INTO settings (key, value) VALUES ({KeySetting}, {candidate}) ON CONFLICT (key) DO NOTHING",
            cancellationToken);
        var stored = await db.Settings.Where(s => s.Key == KeySetting).Select(s => s.Value).SingleAsync(cancellationToken);
        key = Convert.FromBase64String(stored);
        return key;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryDecode(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length == 0 || text.Length > 2048)
        {
            return false;
        }

        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        try
        {
            // Only the text as issued: base64 leaves a last character's low bits unused, and a decoder ignores them,
            // so a token changed only there would decode to the same bytes and pass as the token it is not.
            bytes = Convert.FromBase64String(padded);
            return Base64Url(bytes) == text;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private sealed record EarlierPayload(string Scope, string After);
}
