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

    [Fact]
    public async Task CallsArrivingWhileAKeyIsRead_ShareThatRead()
    {
        var answer = new TaskCompletionSource<ActiveKey?>();
        var slowReads = 0;
        Task<ActiveKey?> Slow(string id, CancellationToken ct)
        {
            Interlocked.Increment(ref slowReads);
            return answer.Task;
        }

        var waiting = Enumerable.Range(0, 32).Select(_ => cache.GetAsync(Key.AccessKeyId, Slow, CancellationToken.None)).ToList();
        Assert.Equal(1, slowReads);
        Assert.All(waiting, call => Assert.False(call.IsCompleted));

        answer.SetResult(Key);
        Assert.All(await Task.WhenAll(waiting), key => Assert.Same(Key, key));
        Assert.Same(Key, await cache.GetAsync(Key.AccessKeyId, Slow, CancellationToken.None)); // kept, as before
        Assert.Equal(1, slowReads);
    }

    [Fact]
    public async Task ACallerThatGivesUp_StopsOnlyItsOwnWait()
    {
        var answer = new TaskCompletionSource<ActiveKey?>();
        CancellationToken readToken = default;
        Task<ActiveKey?> Slow(string id, CancellationToken ct)
        {
            reads++;
            readToken = ct;
            return answer.Task;
        }

        using var givesUp = new CancellationTokenSource();
        var first = cache.GetAsync(Key.AccessKeyId, Slow, givesUp.Token);
        var second = cache.GetAsync(Key.AccessKeyId, Slow, CancellationToken.None);
        givesUp.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.False(readToken.CanBeCanceled); // the shared read is nobody's to cancel

        answer.SetResult(Key);
        Assert.Same(Key, await second);
        Assert.Equal(1, reads);
    }

    [Fact]
    public async Task AFailedRead_FailsItsWaiters_AndTheNextCallReadsAgain()
    {
        var answer = new TaskCompletionSource<ActiveKey?>();
        var calls = 0;
        Task<ActiveKey?> Failing(string id, CancellationToken ct)
        {
            calls++;
            return calls == 1 ? answer.Task : Task.FromResult<ActiveKey?>(Key);
        }

        var waiting = new[] { cache.GetAsync(Key.AccessKeyId, Failing, CancellationToken.None), cache.GetAsync(Key.AccessKeyId, Failing, CancellationToken.None) };
        answer.SetException(new TimeoutException("the database is away"));
        foreach (var call in waiting)
        {
            await Assert.ThrowsAsync<TimeoutException>(() => call);
        }

        Assert.Same(Key, await cache.GetAsync(Key.AccessKeyId, Failing, CancellationToken.None));
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task AKeyForgottenWhileItIsRead_IsReadAgainByTheNextCall()
    {
        var answer = new TaskCompletionSource<ActiveKey?>();
        var calls = 0;
        Task<ActiveKey?> Read(string id, CancellationToken ct)
        {
            calls++;
            return calls == 1 ? answer.Task : Task.FromResult<ActiveKey?>(null); // revoked by then
        }

        var before = cache.GetAsync(Key.AccessKeyId, Read, CancellationToken.None);
        cache.Forget(Key.AccessKeyId); // this process revoked it
        Assert.Null(await cache.GetAsync(Key.AccessKeyId, Read, CancellationToken.None));
        answer.SetResult(Key);
        Assert.Same(Key, await before);
        Assert.Equal(2, calls);
    }
}
