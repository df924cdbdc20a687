using System.Security.Cryptography;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.Security;

/// <summary>Creates, finds, lists, revokes and rotates access keys; secrets are encrypted before they are stored.</summary>
/// <param name="abandonRead">
/// Cancels a key read that no call waits for any more (their deadlines passed while the database did not answer); it
/// must not block its caller (<see cref="AccessKeyCache"/>). By default the cancel runs on a thread-pool thread.
/// </param>
public sealed class AccessKeyStore(IDbContextFactory<MeshDbContext> contexts, SecretProtector protector, TimeProvider clock,
    Action<CancellationTokenSource>? abandonRead = null)
{
    /// <summary>
    /// How long a looked-up key is used without asking the database again: a revocation (on any replica) takes
    /// effect within this time, and a busy client costs one key read and decryption per second, not per call.
    /// </summary>
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(1);

    private readonly AccessKeyCache cache = new(clock, CacheLifetime, abandon: abandonRead);
    private Func<string, CancellationToken, Task<ActiveKey?>>? readActive;

    private const string KeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    private readonly MasterKeyCheck masterKey = new(contexts, protector);

    /// <summary>
    /// Throws <see cref="MasterKeyMismatchException"/> when the master key is not the one the stored keys were
    /// encrypted with. Hosts call it at start; <see cref="CreateAsync"/> calls it so that no key is ever stored
    /// under a second master key.
    /// </summary>
    public Task VerifyMasterKeyAsync(CancellationToken ct) => masterKey.VerifyAsync(ct);

    public async Task<IssuedKey> CreateAsync(string accountId, KeyPolicy policy, string description, CancellationToken ct)
    {
        if (accountId.Length != 12 || !accountId.All(char.IsAsciiDigit))
        {
            throw new ArgumentException($"An account id is 12 digits, not '{accountId}'.", nameof(accountId));
        }

        await VerifyMasterKeyAsync(ct);

        // "MKIA" marks Mesh keys the way "AKIA" marks AWS ones; 16 base32 characters follow, as in AWS.
        var id = "MKIA" + RandomNumberGenerator.GetString(KeyAlphabet, 16);
        var secret = RandomNumberGenerator.GetString(SecretAlphabet, 40);
        await using var db = await contexts.CreateDbContextAsync(ct);
        db.AccessKeys.Add(new AccessKeyEntity
        {
            AccessKeyId = id,
            AccountId = accountId,
            SecretCiphertext = protector.Protect(id, secret),
            Policy = policy.ToJson(),
            Description = description,
            CreatedAt = clock.GetUtcNow(),
        });
        await db.SaveChangesAsync(ct);
        return new IssuedKey(id, secret, accountId, policy);
    }

    /// <summary>The key if it exists and is not revoked, as the database said at most <see cref="CacheLifetime"/> ago.</summary>
    public Task<ActiveKey?> FindActiveAsync(string accessKeyId, CancellationToken ct) =>
        !CouldBeKeyId(accessKeyId)
            ? Task.FromResult<ActiveKey?>(null)
            : cache.GetAsync(accessKeyId, readActive ??= ReadActiveAsync, ct);

    /// <summary>
    /// Whether <paramref name="accessKeyId"/> could name a key: at most 32 visible ASCII characters. Anything else
    /// (a NUL, which PostgreSQL refuses in text, or any non-ASCII character) names none and is not looked up.
    /// </summary>
    private static bool CouldBeKeyId(string accessKeyId) =>
        accessKeyId.Length is > 0 and <= 32 && !accessKeyId.AsSpan().ContainsAnyExceptInRange('!', '~');

    /// <summary>
    /// <see cref="FindActiveAsync"/> for a signed call: a key cached less than <see cref="CacheLifetime"/> ago (every
    /// warm call's) is answered without a task (the task, and the verifier's and the middleware's above it, were
    /// 0.4 KB of a warm Describe's allocations, issue14ao); any other is read as <see cref="FindActiveAsync"/> reads it.
    /// </summary>
    public ValueTask<ActiveKey?> FindActiveForCallAsync(string accessKeyId, CancellationToken ct) =>
        CouldBeKeyId(accessKeyId) && cache.TryGetFresh(accessKeyId, out var fresh)
            ? new ValueTask<ActiveKey?>(fresh)
            : new ValueTask<ActiveKey?>(FindActiveAsync(accessKeyId, ct));

    private async Task<ActiveKey?> ReadActiveAsync(string accessKeyId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var key = await db.AccessKeys.AsNoTracking().SingleOrDefaultAsync(k => k.AccessKeyId == accessKeyId && k.RevokedAt == null, ct);
        return key is null
            ? null
            : new ActiveKey(key.AccessKeyId, protector.Unprotect(key.AccessKeyId, key.SecretCiphertext), key.AccountId, KeyPolicy.FromJson(key.Policy));
    }

    /// <summary>
    /// Every key, revoked ones too. Refused (<see cref="MasterKeyMismatchException"/>) under a master key other than the
    /// keys': nothing here is decrypted, but a command given the wrong key is misconfigured (perhaps pointed at
    /// another database), and says so as serving and <see cref="CreateAsync"/> do.
    /// </summary>
    public async Task<IReadOnlyList<AccessKeyEntity>> ListAsync(CancellationToken ct)
    {
        await masterKey.VerifyWithoutWritingAsync(ct);
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.AccessKeys.AsNoTracking().OrderBy(k => k.AccountId).ThenBy(k => k.CreatedAt).ToListAsync(ct);
    }

    /// <summary>Revokes an active key; refused under a master key other than the keys', as <see cref="ListAsync"/> is.</summary>
    public async Task<bool> RevokeAsync(string accessKeyId, CancellationToken ct)
    {
        await masterKey.VerifyWithoutWritingAsync(ct);
        // Other processes see the revocation within CacheLifetime; this one at once.
        cache.Forget(accessKeyId);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        return await db.AccessKeys.Where(k => k.AccessKeyId == accessKeyId && k.RevokedAt == null)
            .ExecuteUpdateAsync(k => k.SetProperty(x => x.RevokedAt, now), ct) == 1;
    }

    /// <summary>Issues a new key with the old one's account, policy and description, and revokes the old one.</summary>
    public async Task<IssuedKey?> RotateAsync(string accessKeyId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var old = await db.AccessKeys.AsNoTracking().SingleOrDefaultAsync(k => k.AccessKeyId == accessKeyId && k.RevokedAt == null, ct);
        if (old is null)
        {
            return null;
        }

        var issued = await CreateAsync(old.AccountId, KeyPolicy.FromJson(old.Policy), old.Description, ct);
        await RevokeAsync(accessKeyId, ct);
        return issued;
    }
}
