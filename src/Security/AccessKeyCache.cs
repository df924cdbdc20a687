using System.Collections.Concurrent;

namespace Mesh.Security;

/// <summary>
/// Active access keys as the database said at most <see cref="Lifetime"/> ago, so that a busy client costs one
/// key read and decryption per second instead of one per call, while a revocation made anywhere (another replica,
/// the database directly) takes effect within that time. An entry's age counts from before its read started, so a
/// revocation committed while the read ran is seen by the next read. Unknown and revoked keys are not kept: they
/// stay refused, and random key ids cannot fill memory.
/// </summary>
public sealed class AccessKeyCache(TimeProvider clock, TimeSpan lifetime, int capacity = AccessKeyCache.DefaultCapacity)
{
    public const int DefaultCapacity = 10_000;

    private readonly ConcurrentDictionary<string, (ActiveKey Key, long ReadAt)> keys = new(StringComparer.Ordinal);

    public TimeSpan Lifetime => lifetime;

    /// <summary>The key if <paramref name="read"/> found it active less than <see cref="Lifetime"/> ago; otherwise what a new read finds.</summary>
    public async Task<ActiveKey?> GetAsync(string accessKeyId, Func<string, CancellationToken, Task<ActiveKey?>> read, CancellationToken ct)
    {
        if (keys.TryGetValue(accessKeyId, out var cached) && clock.GetElapsedTime(cached.ReadAt) < lifetime)
        {
            return cached.Key;
        }

        var readAt = clock.GetTimestamp();
        var key = await read(accessKeyId, ct);
        if (key is null)
        {
            keys.TryRemove(accessKeyId, out _);
            return null;
        }

        if (keys.Count >= capacity)
        {
            keys.Clear();
        }

        keys[accessKeyId] = (key, readAt);
        return key;
    }

    /// <summary>Forgets a key at once (this process revoked it).</summary>
    public void Forget(string accessKeyId) => keys.TryRemove(accessKeyId, out _);
}
