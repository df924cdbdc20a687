using System.Security.Cryptography;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Security;

/// <summary>
/// Tells whether the configured master key is the one the stored access keys were encrypted with. A known value,
/// encrypted under the master key, is kept in <c>settings</c> beside the keys; the first host or command that finds
/// none writes it (a database whose keys predate it is checked against one of its keys first). AES-GCM refuses to
/// decrypt under any other key, so a wrong key is found at start instead of as a 500 on every call.
/// </summary>
public sealed class MasterKeyCheck(IDbContextFactory<MeshDbContext> contexts, SecretProtector protector)
{
    /// <summary>The <c>settings</c> key of the check value.</summary>
    public const string Setting = "master_key_check";

    // Bound in as associated data, as an access key id is for a secret, so no key row can pass for the check value.
    private const string CheckContext = "mesh:master-key-check";
    private const string CheckPlaintext = "The master key of this Mesh database.";

    private volatile bool verified;

    /// <summary>Throws <see cref="MasterKeyMismatchException"/> when the key does not match; a match is remembered.</summary>
    public Task VerifyAsync(CancellationToken ct) => VerifyAsync(writeCheckValue: true, ct);

    /// <summary>
    /// <see cref="VerifyAsync(CancellationToken)"/> for a command that only reads or revokes keys: it writes no check value,
    /// so that listing the keys of a database that has none yet does not tie it to whichever master key the command was
    /// given. Such a database has nothing to check against and passes.
    /// </summary>
    public Task VerifyWithoutWritingAsync(CancellationToken ct) => VerifyAsync(writeCheckValue: false, ct);

    private async Task VerifyAsync(bool writeCheckValue, CancellationToken ct)
    {
        if (verified)
        {
            return;
        }

        await using var db = await contexts.CreateDbContextAsync(ct);
        var stored = await StoredAsync(db, ct);
        if (stored is null)
        {
            var oldest = await db.AccessKeys.AsNoTracking().OrderBy(k => k.CreatedAt).FirstOrDefaultAsync(ct);
            if (oldest is not null && !Decrypts(oldest.AccessKeyId, oldest.SecretCiphertext, expected: null))
            {
                throw Mismatch($"access key {oldest.AccessKeyId} does not decrypt");
            }

            if (!writeCheckValue)
            {
                return;
            }

            var candidate = Convert.ToBase64String(protector.Protect(CheckContext, CheckPlaintext));
            // Replicas starting together race here; the first value wins and each checks against it.
            await db.Database.ExecuteSqlAsync(
                $"INSERT INTO settings (key, value) VALUES ({Setting}, {candidate}) ON CONFLICT (key) DO NOTHING", ct);
            stored = await StoredAsync(db, ct) ?? candidate;
        }

        if (!Decrypts(CheckContext, Convert.FromBase64String(stored), CheckPlaintext))
        {
            throw Mismatch($"the check value in settings ({Setting}) does not decrypt");
        }

        verified = true;
    }

    private static Task<string?> StoredAsync(MeshDbContext db, CancellationToken ct) =>
        db.Settings.AsNoTracking().Where(s => s.Key == Setting).Select(s => s.Value).SingleOrDefaultAsync(ct);

    /// <summary>Whether the master key opens the ciphertext (and, with <paramref name="expected"/>, to that text).</summary>
    private bool Decrypts(string context, byte[] ciphertext, string? expected)
    {
        try
        {
            var plaintext = protector.Unprotect(context, ciphertext);
            return expected is null || plaintext == expected;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            return false;
        }
    }

    private static MasterKeyMismatchException Mismatch(string evidence) => new(
        $"Mesh:Auth:MasterKey is not the key this database's access keys were encrypted with ({evidence}). "
        + "Set the master key they were created with (./run.sh keeps it in .mesh/master.key); "
        + "if that key is lost, the stored keys cannot be read: delete them and the settings row " + Setting + ", then create new ones.");
}
