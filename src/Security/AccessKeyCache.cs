using System.Collections.Concurrent;

namespace Mesh.Security;

/// <summary>
/// Active access keys as the database said at most <see cref="Lifetime"/> ago, so that a busy client costs one
/// key read and decryption per second instead of one per call, while a revocation made anywhere (another replica,
/// the database directly) takes effect within that time. An entry's age counts from before its read started, so a
/// revocation committed while the read ran is seen by the next read. Unknown and revoked keys are not kept: they
/// stay refused, and random key ids cannot fill memory.
/// </summary>
/// <remarks>
/// Calls that find a key missing or expired while a read of it is already running wait for that read instead of
/// starting their own: at 32 clients of one key, every expiry cost up to 32 reads and decryptions (a Describe profile
/// of 14q had the reads at 1.65% of the API's samples). The shared read is not cancelled by any one caller; each
/// caller stops waiting at its own cancellation, and the read ends when the database answers (or its command times out).
/// </remarks>
public sealed class AccessKeyCache(TimeProvider clock, TimeSpan lifetime, int capacity = AccessKeyCache.DefaultCapacity)
{
    public const int DefaultCapacity = 10_000;

    private readonly ConcurrentDictionary<string, (ActiveKey Key, long ReadAt)> keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<ActiveKey?>> reading = new(StringComparer.Ordinal);

    public TimeSpan Lifetime => lifetime;

    /// <summary>The key if <paramref name="read"/> found it active less than <see cref="Lifetime"/> ago; otherwise what a new read finds.</summary>
    public Task<ActiveKey?> GetAsync(string accessKeyId, Func<string, CancellationToken, Task<ActiveKey?>> read, CancellationToken ct)
    {
        if (keys.TryGetValue(accessKeyId, out var cached) && clock.GetElapsedTime(cached.ReadAt) < lifetime)
        {
            return Task.FromResult<ActiveKey?>(cached.Key);
        }

        if (!reading.TryGetValue(accessKeyId, out var pending))
        {
            // Made first and published before the read starts, so that exactly one caller (the one whose task got
            // in) reads, however many race here.
            var mine = new TaskCompletionSource<ActiveKey?>(TaskCreationOptions.RunContinuationsAsynchronously);
            pending = reading.GetOrAdd(accessKeyId, mine.Task);
            if (pending == mine.Task)
            {
                _ = ReadAsync(accessKeyId, read, mine);
            }
        }

        return pending.IsCompleted || !ct.CanBeCanceled ? pending : pending.WaitAsync(ct);
    }

    /// <summary>The read the callers of one key share: its result is kept, then it leaves <see cref="reading"/>, then they get it.</summary>
    private async Task ReadAsync(string accessKeyId, Func<string, CancellationToken, Task<ActiveKey?>> read, TaskCompletionSource<ActiveKey?> shared)
    {
        ActiveKey? key;
        try
        {
            var readAt = clock.GetTimestamp();
            key = await read(accessKeyId, CancellationToken.None);
            if (key is null)
            {
                keys.TryRemove(accessKeyId, out _);
            }
            else
            {
                if (keys.Count >= capacity)
                {
                    keys.Clear();
                }

                keys[accessKeyId] = (key, readAt);
            }
        }
        catch (Exception error)
        {
            reading.TryRemove(KeyValuePair.Create(accessKeyId, shared.Task));
            shared.SetException(error);
            return;
        }

        // Only this read's own entry: Forget may have replaced it with a newer read meanwhile.
        reading.TryRemove(KeyValuePair.Create(accessKeyId, shared.Task));
        shared.SetResult(key);
    }

    /// <summary>Forgets a key at once (this process revoked it): calls after this start a read of their own.</summary>
    public void Forget(string accessKeyId)
    {
        keys.TryRemove(accessKeyId, out _);
        reading.TryRemove(accessKeyId, out _);
    }
}
