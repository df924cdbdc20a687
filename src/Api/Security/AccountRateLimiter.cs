using System.Collections.Concurrent;

namespace Mesh.Api.Security;

/// <summary>
/// The per-account request rate: a token bucket per account that refills continuously at
/// <c>requestsPerSecond</c> and holds up to <c>requestsPerSecond + burst</c> tokens. Because it holds at least a
/// second's worth, an account that never sends more than <c>requestsPerSecond</c> requests in any one second is
/// never refused, however its requests bunch within that second; only sustained excess is. (A bucket refilled in
/// one step per second and capped at the burst alone refused accounts below their rate whenever the burst was
/// smaller than the rate.) The clock is injected so the semantics can be tested without waiting.
/// </summary>
public sealed class AccountRateLimiter(int requestsPerSecond, int burst, TimeProvider clock)
{
    private readonly double rate = Math.Max(1, requestsPerSecond);
    private readonly double capacity = Math.Max(1, requestsPerSecond) + (double)Math.Max(0, burst);
    private readonly ConcurrentDictionary<string, Bucket> buckets = new(StringComparer.Ordinal);

    /// <summary>Takes one token from the account's bucket; false (answer 429) when it is empty.</summary>
    public bool TryAcquire(string accountId)
    {
        var now = clock.GetTimestamp();
        var bucket = buckets.GetOrAdd(accountId, static (_, start) => new Bucket(start.Capacity, start.Now), (Capacity: capacity, Now: now));
        lock (bucket)
        {
            // Timestamps are taken outside the lock, so a slightly older one may arrive second: never refill backwards.
            if (now > bucket.RefilledAt)
            {
                bucket.Tokens = Math.Min(capacity, bucket.Tokens + (clock.GetElapsedTime(bucket.RefilledAt, now).TotalSeconds * rate));
                bucket.RefilledAt = now;
            }

            if (bucket.Tokens < 1)
            {
                return false;
            }

            bucket.Tokens -= 1;
            return true;
        }
    }

    private sealed class Bucket(double tokens, long refilledAt)
    {
        public double Tokens { get; set; } = tokens;

        public long RefilledAt { get; set; } = refilledAt;
    }
}
