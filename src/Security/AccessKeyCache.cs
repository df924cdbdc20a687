using System.Diagnostics.CodeAnalysis;
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
/// <para>
/// One read per key at a time (<see cref="KeyRead"/>): calls that find no fresh entry while a read of the key is
/// running wait for that read instead of starting their own, so an expiry at 32 clients costs one read and
/// decryption, not up to 32 (issue14q). A read is joined only while it is younger than <see cref="Lifetime"/>, so
/// what a joining call gets is as fresh as what a cached entry would have given it. A read that fails is not kept
/// and is given only to the calls already waiting on it: it leaves the table as it ends, and the next call reads
/// again.
/// </para>
/// <para>
/// Each call waits for the read only until its own token is cancelled (its deadline): a frozen server never holds
/// a call past it. The read runs on a token of its own, cancelled once no call is waiting on it any more, through
/// <c>abandon</c>: cancelling a running Npgsql command may block the thread that does it until the server runs
/// again, so the caller decides where that happens (the API: its database-cancel thread).
/// </para>
/// </remarks>
public sealed class AccessKeyCache
{
    public const int DefaultCapacity = 10_000;

    private readonly ConcurrentDictionary<string, (ActiveKey Key, long ReadAt)> keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, KeyRead> running = new(StringComparer.Ordinal);
    private readonly TimeProvider clock;
    private readonly TimeSpan lifetime;
    private readonly int capacity;
    private readonly Action<CancellationTokenSource> abandon;

    /// <param name="abandon">
    /// Cancels a read no call waits for any more; it must not block its caller. By default the cancel runs on a
    /// thread-pool thread.
    /// </param>
    public AccessKeyCache(TimeProvider clock, TimeSpan lifetime, int capacity = DefaultCapacity, Action<CancellationTokenSource>? abandon = null)
    {
        this.clock = clock;
        this.lifetime = lifetime;
        this.capacity = capacity;
        this.abandon = abandon ?? CancelOnThePool;
    }

    public TimeSpan Lifetime => lifetime;

    /// <summary>
    /// The key if <paramref name="read"/> found it active less than <see cref="Lifetime"/> ago; otherwise what a read
    /// (this call's, or one running that started less than <see cref="Lifetime"/> ago) finds. Throws
    /// <see cref="OperationCanceledException"/> as soon as <paramref name="ct"/> is cancelled, whether or not the read
    /// has ended.
    /// </summary>
    public async Task<ActiveKey?> GetAsync(string accessKeyId, Func<string, CancellationToken, Task<ActiveKey?>> read, CancellationToken ct)
    {
        if (TryGetFresh(accessKeyId, out var fresh))
        {
            return fresh;
        }

        ct.ThrowIfCancellationRequested();
        var keyRead = Join(accessKeyId, read);
        try
        {
            return await keyRead.Result.WaitAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && !keyRead.Result.IsCompleted)
        {
            keyRead.Leave();
            throw;
        }
    }

    /// <summary>
    /// The key, when a read found it active less than <see cref="Lifetime"/> ago; false when it must be read
    /// (<see cref="GetAsync"/>): never read, read longer ago, or found absent or revoked (a refusal is not kept).
    /// </summary>
    public bool TryGetFresh(string accessKeyId, [NotNullWhen(true)] out ActiveKey? key)
    {
        if (keys.TryGetValue(accessKeyId, out var cached) && clock.GetElapsedTime(cached.ReadAt) < lifetime)
        {
            key = cached.Key;
            return true;
        }

        key = null;
        return false;
    }

    /// <summary>Forgets a key at once (this process revoked it).</summary>
    public void Forget(string accessKeyId) => keys.TryRemove(accessKeyId, out _);

    /// <summary>A running read of the key young enough to share, joined; or a new one, started.</summary>
    private KeyRead Join(string accessKeyId, Func<string, CancellationToken, Task<ActiveKey?>> read)
    {
        while (true)
        {
            var readAt = clock.GetTimestamp();
            if (running.TryGetValue(accessKeyId, out var current))
            {
                if (current.TryJoin(clock.GetElapsedTime(current.ReadAt, readAt) < lifetime))
                {
                    return current;
                }

                // Too old to share, abandoned or failed: replaced (it ends on its own and then leaves nothing behind).
                var replacing = new KeyRead(this, accessKeyId, readAt);
                if (running.TryUpdate(accessKeyId, replacing, current))
                {
                    replacing.Start(read);
                    return replacing;
                }
            }
            else
            {
                var started = new KeyRead(this, accessKeyId, readAt);
                if (running.TryAdd(accessKeyId, started))
                {
                    started.Start(read);
                    return started;
                }
            }
        }
    }

    /// <summary>What a read found, kept if it is the newest word on the key; then the read leaves the table.</summary>
    private void Ended(KeyRead keyRead, ActiveKey? key)
    {
        var id = keyRead.AccessKeyId;
        if (key is null)
        {
            // Refused: forgotten, unless a read that started later found it active (created since, or un-revoked).
            if (keys.TryGetValue(id, out var kept) && kept.ReadAt <= keyRead.ReadAt)
            {
                keys.TryRemove(new KeyValuePair<string, (ActiveKey, long)>(id, kept));
            }
        }
        else
        {
            if (keys.Count >= capacity)
            {
                keys.Clear();
            }

            keys.AddOrUpdate(id, static (_, found) => found, static (_, kept, found) => found.ReadAt >= kept.ReadAt ? found : kept, (key, keyRead.ReadAt));
        }

        Left(keyRead);
    }

    private void Left(KeyRead keyRead) => running.TryRemove(new KeyValuePair<string, KeyRead>(keyRead.AccessKeyId, keyRead));

    private static void CancelOnThePool(CancellationTokenSource source) =>
        ThreadPool.UnsafeQueueUserWorkItem(static source =>
        {
            try
            {
                source.Cancel();
            }
            catch (AggregateException)
            {
                // A callback of the abandoned read failed; the read ends (or has ended) all the same, and nobody waits for it.
            }
        }, source, preferLocal: false);

    /// <summary>
    /// One read of one key, with the calls waiting on it. Counted under its lock, so that the last call to leave
    /// abandons it and no call joins it after that.
    /// </summary>
    private sealed class KeyRead(AccessKeyCache cache, string accessKeyId, long readAt)
    {
        // Holds no timer, so it is not disposed: an abandoned read's cancel may run after the read has ended.
        private readonly CancellationTokenSource own = new();

        // Made before the read is published, so a call that joins always has something to wait on; the waiting calls
        // go on on the thread pool, not one after the other on the thread that ended the read.
        private readonly TaskCompletionSource<ActiveKey?> result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int waiting = 1;
        private bool abandoned;

        public string AccessKeyId => accessKeyId;

        /// <summary>When the read started (<see cref="TimeProvider.GetTimestamp"/>): what it finds is this old.</summary>
        public long ReadAt => readAt;

        public Task<ActiveKey?> Result => result.Task;

        public void Start(Func<string, CancellationToken, Task<ActiveKey?>> read) => _ = RunAsync(read);

        /// <summary>Waits on this read too, unless it is too old to share, abandoned, or ended without an answer.</summary>
        public bool TryJoin(bool youngEnough)
        {
            lock (this)
            {
                if (!youngEnough || abandoned || (Result.IsCompleted && !Result.IsCompletedSuccessfully))
                {
                    return false;
                }

                waiting++;
                return true;
            }
        }

        /// <summary>A call stopped waiting (its deadline passed, or its client left); the last one abandons the read.</summary>
        public void Leave()
        {
            lock (this)
            {
                if (--waiting > 0 || Result.IsCompleted)
                {
                    return;
                }

                abandoned = true;
            }

            // Not shared with any later call; its failure, when it comes, is nobody's to see.
            cache.Left(this);
            _ = Result.ContinueWith(static ended => _ = ended.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            cache.abandon(own);
        }

        private async Task RunAsync(Func<string, CancellationToken, Task<ActiveKey?>> read)
        {
            ActiveKey? key;
            try
            {
                key = await read(accessKeyId, own.Token);
            }
            catch (Exception error)
            {
                // Out of the table first, so no call arriving from now on shares the failure.
                cache.Left(this);
                result.SetException(error);
                return;
            }

            cache.Ended(this, key);
            result.SetResult(key);
        }
    }
}
