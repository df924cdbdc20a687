using Mesh.Security;

namespace Mesh.Security.Tests;

/// <summary>
/// Keys are read once per second per key, and a key revoked in the database (by any replica) is refused at most
/// a second after the read that last found it active.
/// </summary>
public sealed class AccessKeyCacheTests
{
    private static readonly ActiveKey Key = new("MKIAEXAMPLE", "secret", "111122223333", KeyPolicy.Admin);

    private readonly ManualClock clock = new();
    private readonly AccessKeyCache cache;
    private bool revoked;
    private int reads;

    public AccessKeyCacheTests() => cache = new AccessKeyCache(clock, TimeSpan.FromSeconds(1));

    private Task<ActiveKey?> ReadAsync(string id, CancellationToken ct)
    {
        reads++;
        return Task.FromResult(revoked || id != Key.AccessKeyId ? null : Key);
    }

    private Task<ActiveKey?> FindAsync(string id = "MKIAEXAMPLE") => cache.GetAsync(id, ReadAsync, CancellationToken.None);

    [Fact]
    public async Task WithinASecond_TheKeyIsNotReadAgain()
    {
        Assert.Same(Key, await FindAsync());
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Same(Key, await FindAsync());
        Assert.Equal(1, reads);
    }

    [Fact]
    public async Task AKeyRevokedInTheDatabase_IsRefusedOnceASecondHasPassed()
    {
        Assert.Same(Key, await FindAsync());
        revoked = true; // elsewhere: another replica, or the database directly

        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Same(Key, await FindAsync()); // still within the second the cache promises at most

        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(await FindAsync());
        Assert.Null(await FindAsync()); // and a refused key is not cached: it stays refused
        Assert.Equal(3, reads);
    }

    [Fact]
    public async Task TryGetFresh_GivesAKeyReadActiveWithinTheSecond_AndNothingElse()
    {
        Assert.False(cache.TryGetFresh(Key.AccessKeyId, out _)); // never read

        Assert.Same(Key, await FindAsync());
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.True(cache.TryGetFresh(Key.AccessKeyId, out var fresh));
        Assert.Same(Key, fresh);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(cache.TryGetFresh(Key.AccessKeyId, out _)); // the second has passed: it must be read again

        revoked = true;
        Assert.Null(await FindAsync());
        Assert.False(cache.TryGetFresh(Key.AccessKeyId, out _)); // a refused key is not kept
        Assert.Equal(2, reads);
    }

    [Fact]
    public async Task TheSecondCountsFromBeforeTheRead_SoASlowReadDoesNotExtendIt()
    {
        var slow = new AccessKeyCache(clock, TimeSpan.FromSeconds(1));
        Assert.Same(Key, await slow.GetAsync(Key.AccessKeyId, (id, ct) =>
        {
            reads++;
            clock.Advance(TimeSpan.FromMilliseconds(400)); // the database was slow to answer
            return Task.FromResult<ActiveKey?>(Key);
        }, CancellationToken.None));

        revoked = true;
        clock.Advance(TimeSpan.FromMilliseconds(600)); // a second after the read began, 600 ms after it ended
        Assert.Null(await slow.GetAsync(Key.AccessKeyId, ReadAsync, CancellationToken.None));
    }

    [Fact]
    public async Task Forget_RefusesAtOnce()
    {
        Assert.Same(Key, await FindAsync());
        revoked = true;
        cache.Forget(Key.AccessKeyId);
        Assert.Null(await FindAsync());
    }

    [Fact]
    public async Task UnknownKeys_AreReadEveryTime_AndNotKept()
    {
        Assert.Null(await FindAsync("MKIAUNKNOWN"));
        Assert.Null(await FindAsync("MKIAUNKNOWN"));
        Assert.Equal(2, reads);
    }

    [Fact]
    public async Task PastItsCapacity_TheCacheStartsOver()
    {
        var small = new AccessKeyCache(clock, TimeSpan.FromSeconds(1), capacity: 2);
        Task<ActiveKey?> Read(string id, CancellationToken ct)
        {
            reads++;
            return Task.FromResult<ActiveKey?>(Key with { AccessKeyId = id });
        }

        foreach (var id in new[] { "A", "B", "C", "A" })
        {
            await small.GetAsync(id, Read, CancellationToken.None);
        }

        Assert.Equal(4, reads); // C cleared A and B, so A was read again
    }

    /// <summary>A read that answers only when told to, as a slow or frozen database does, ignoring its token.</summary>
    private sealed class HeldRead
    {
        private readonly TaskCompletionSource<ActiveKey?> answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int reads;

        public int Reads => Volatile.Read(ref reads);

        public CancellationToken LastToken { get; private set; }

        public Task<ActiveKey?> ReadAsync(string id, CancellationToken ct)
        {
            Interlocked.Increment(ref reads);
            LastToken = ct;
            return answer.Task;
        }

        public void Answer(ActiveKey? key) => answer.SetResult(key);

        public void Fail(Exception error) => answer.SetException(error);
    }

    [Fact]
    public async Task CallsArrivingWhileTheKeyIsRead_ShareThatRead()
    {
        var held = new HeldRead();
        var calls = Enumerable.Range(0, 32).Select(_ => cache.GetAsync(Key.AccessKeyId, held.ReadAsync, CancellationToken.None)).ToList();
        Assert.Equal(1, held.Reads); // before: one read (and decryption) per call, 32
        Assert.DoesNotContain(calls, c => c.IsCompleted);

        held.Answer(Key);
        foreach (var call in calls)
        {
            Assert.Same(Key, await call);
        }

        Assert.Same(Key, await cache.GetAsync(Key.AccessKeyId, held.ReadAsync, CancellationToken.None));
        Assert.Equal(1, held.Reads);
    }

    [Fact]
    public async Task ARunningReadStartedALifetimeAgo_IsNotShared_SoARevocationSinceIsSeen()
    {
        var old = new HeldRead();
        var first = cache.GetAsync(Key.AccessKeyId, old.ReadAsync, CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(1));
        revoked = true;

        // The running read began a second ago: what it finds may predate the revocation, so this call reads again.
        Assert.Null(await cache.GetAsync(Key.AccessKeyId, ReadAsync, CancellationToken.None));
        Assert.Equal(1, reads);

        old.Answer(Key); // the old read ends last, with what the database said before the revocation
        Assert.Same(Key, await first);
        Assert.Null(await FindAsync()); // not served: it is a second old
    }

    [Fact]
    public async Task AFailedRead_IsGivenOnlyToTheCallsAlreadyWaiting_AndNotKept()
    {
        var failing = new HeldRead();
        var waiting = new[]
        {
            cache.GetAsync(Key.AccessKeyId, failing.ReadAsync, CancellationToken.None),
            cache.GetAsync(Key.AccessKeyId, failing.ReadAsync, CancellationToken.None),
        };
        failing.Fail(new TimeoutException("the database did not answer"));
        foreach (var call in waiting)
        {
            await Assert.ThrowsAsync<TimeoutException>(() => call);
        }

        // The next call reads again, and what it finds is kept.
        Assert.Same(Key, await FindAsync());
        Assert.Same(Key, await FindAsync());
        Assert.Equal((1, 1), (failing.Reads, reads));
    }

    [Fact]
    public async Task ACallStopsWaitingAtItsToken_AndTheLastToLeaveCancelsTheRead()
    {
        var cancelled = new List<CancellationTokenSource>();
        var abandoning = new AccessKeyCache(clock, TimeSpan.FromSeconds(1), abandon: source =>
        {
            lock (cancelled)
            {
                cancelled.Add(source);
            }
        });
        var frozen = new HeldRead();
        using var firstDeadline = new CancellationTokenSource();
        using var secondDeadline = new CancellationTokenSource();
        var first = abandoning.GetAsync(Key.AccessKeyId, frozen.ReadAsync, firstDeadline.Token);
        var second = abandoning.GetAsync(Key.AccessKeyId, frozen.ReadAsync, secondDeadline.Token);
        Assert.False(frozen.LastToken.IsCancellationRequested);

        // The read never answers; each call ends at its own token all the same (before: only when the read ended).
        // The wait is bounded only so that a failure is a failure rather than a hang.
        await firstDeadline.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Empty(cancelled); // the second call still waits on it

        await secondDeadline.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.WaitAsync(TimeSpan.FromSeconds(30)));
        var source = Assert.Single(cancelled);
        Assert.Equal(frozen.LastToken, source.Token); // the read's own token, handed over to be cancelled

        // An abandoned read is not joined: the next call reads again.
        var next = new HeldRead();
        var third = abandoning.GetAsync(Key.AccessKeyId, next.ReadAsync, CancellationToken.None);
        Assert.Equal(1, next.Reads);
        next.Answer(Key);
        Assert.Same(Key, await third);
    }
}
