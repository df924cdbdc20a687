using System.Security.Cryptography;
using System.Text.Json;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Api.Resources;

/// <summary>
/// Opaque, signed nextToken values for keyset pagination. A token names the last key returned and the
/// list it belongs to; the HMAC (keyed by a secret kept in the database, so every replica agrees)
/// makes a forged or garbled token detectable, and keyset paging stays correct under concurrent writes.
/// </summary>
public sealed class PageTokens(IDbContextFactory<MeshDbContext> contexts)
{
    private const string KeySetting = "page_token_key";
    private byte[]? key;

    public async Task<string> IssueAsync(string scope, string lastKey, CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(new TokenPayload(scope, lastKey));
        var signature = HMACSHA256.HashData(await KeyAsync(cancellationToken), payload);
        return $"{Base64Url(payload)}.{Base64Url(signature.AsSpan(0, 16).ToArray())}";
    }

    /// <summary>The last key of the previous page, or a BadRequest if the token was not issued for this list.</summary>
    public async Task<string> ReadAsync(string token, string scope, CancellationToken cancellationToken)
    {
        var parts = token.Split('.');
        if (parts.Length == 2 && TryDecode(parts[0], out var payload) && TryDecode(parts[1], out var signature))
        {
            var expected = HMACSHA256.HashData(await KeyAsync(cancellationToken), payload).AsSpan(0, 16);
            if (CryptographicOperations.FixedTimeEquals(expected, signature))
            {
                var decoded = JsonSerializer.Deserialize<TokenPayload>(payload);
                if (decoded is not null && decoded.Scope == scope)
                {
                    return decoded.After;
                }
            }
        }

        throw Protocol.AppMeshException.BadRequest("nextToken: is not a token this API issued for this list; pass the nextToken of the previous page unchanged.");
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

    private sealed record TokenPayload(string Scope, string After);
}
