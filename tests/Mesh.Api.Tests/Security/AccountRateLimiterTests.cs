using Mesh.Api.Security;

namespace Mesh.Api.Tests.Security;

/// <summary>
/// The per-account rate (Mesh:Auth:RequestsPerSecond, Mesh:Auth:Burst): an account at or below its rate is never
/// refused, however its requests bunch within each second; sustained excess is. Driven by a clock the test moves.
/// </summary>
public sealed class AccountRateLimiterTests
{
    private const string Account = "111122223333";

    private readonly ManualClock clock = new();

    [Theory]
    [InlineData(10, 0)]
    [InlineData(200, 400)]
    [InlineData(1000, 5)]
    public void EvenlySpaced_AtTheConfiguredRate_IsNeverRefused(int rate, int burst)
    {
        var limiter = new AccountRateLimiter(rate, burst, clock);
        var interval = TimeSpan.FromTicks(TimeSpan.TicksPerSecond / rate);
        for (var i = 0; i < rate * 20; i++)
        {
            Assert.True(limiter.TryAcquire(Account), $"request {i} refused at {rate}/s");
            clock.Advance(interval);
        }
    }

    [Theory]
    [InlineData(10, 0)]
    [InlineData(100, 3)]
    public void AllOfEachSecondsRequestsAtOnce_AtTheConfiguredRate_IsNeverRefused(int rate, int burst)
    {
        // The worst bunching a client at its rate can do: every request of a second sent at its start.
        var limiter = new AccountRateLimiter(rate, burst, clock);
        for (var second = 0; second < 20; second++)
        {
            for (var i = 0; i < rate; i++)
            {
                Assert.True(limiter.TryAcquire(Account), $"request {i} of second {second} refused");
            }

            clock.Advance(TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public void TheBurst_IsAllowedOnTopOfTheRate_ThenRefused()
    {
        var limiter = new AccountRateLimiter(requestsPerSecond: 5, burst: 3, clock);
        for (var i = 0; i < 8; i++)
        {
            Assert.True(limiter.TryAcquire(Account));
        }

        Assert.False(limiter.TryAcquire(Account));

        // A fifth of a second later, one request's worth has come back.
        clock.Advance(TimeSpan.FromMilliseconds(200));
        Assert.True(limiter.TryAcquire(Account));
        Assert.False(limiter.TryAcquire(Account));
    }

    [Fact]
    public void SustainedExcess_IsHeldToTheRate()
    {
        var limiter = new AccountRateLimiter(requestsPerSecond: 10, burst: 10, clock);
        var accepted = 0;
        for (var i = 0; i < 30 * 20; i++) // 30 a second for 20 seconds
        {
            accepted += limiter.TryAcquire(Account) ? 1 : 0;
            clock.Advance(TimeSpan.FromTicks(TimeSpan.TicksPerSecond / 30));
        }

        // At most the bucket's capacity (rate + burst) plus what 20 seconds refill.
        Assert.InRange(accepted, 10 * 20, 10 * 20 + 20 + 1);
    }

    [Fact]
    public void Accounts_HaveBucketsOfTheirOwn()
    {
        var limiter = new AccountRateLimiter(requestsPerSecond: 1, burst: 0, clock);
        Assert.True(limiter.TryAcquire(Account));
        Assert.False(limiter.TryAcquire(Account));
        Assert.True(limiter.TryAcquire("444455556666"));
    }

    private sealed class ManualClock : TimeProvider
    {
        private long ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => ticks;

        public void Advance(TimeSpan by) => ticks += by.Ticks;
    }
}
