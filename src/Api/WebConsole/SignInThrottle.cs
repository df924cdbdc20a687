using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Mesh.Api.WebConsole;

/// <summary>
/// Limits console sign-in attempts per access key id and per source address: a token bucket each, of
/// <see cref="ConsoleOptions.SignInBurst"/> attempts refilled at <see cref="ConsoleOptions.SignInsPerMinute"/>. Only
/// failures count: a sign-in that succeeds gives its tokens back, so people signing in are never held up while
/// guessing a secret is slowed to that rate, from any number of addresses for one key and for any keys from one
/// address. Sign-in lies outside the per-account API rate (it has no account until it succeeds).
/// </summary>
public sealed class SignInThrottle(IOptions<ConsoleOptions> options, TimeProvider clock)
{
    /// <summary>Buckets kept before full ones (which are as good as none) are dropped: addresses are the caller's to choose.</summary>
    private const int MaxTracked = 10_000;

    private readonly ConcurrentDictionary<string, Bucket> buckets = new(StringComparer.Ordinal);

    private double Capacity => Math.Max(1, options.Value.SignInBurst);

    private double RatePerSecond => Math.Max(options.Value.SignInsPerMinute, 0.001) / 60;

    /// <summary>
    /// Takes an attempt from the address's bucket and, when the key exists (<paramref name="keyId"/> not null), from
    /// the key's. Null when admitted; otherwise how long until the refusing bucket holds an attempt again.
    /// </summary>
    public TimeSpan? TryAdmit(string? keyId, string address)
    {
        if (Take("address:" + address) is { } wait)
        {
            return wait;
        }

        return keyId is null ? null : Take("key:" + keyId);
    }

    /// <summary>A sign-in that succeeded gives back what <see cref="TryAdmit"/> took.</summary>
    public void Succeeded(string keyId, string address)
    {
        Give("address:" + address);
        Give("key:" + keyId);
    }

    private TimeSpan? Take(string name)
    {
        if (buckets.Count >= MaxTracked)
        {
            DropFull();
        }

        var now = clock.GetTimestamp();
        var bucket = buckets.GetOrAdd(name, static (_, start) => new Bucket(start.Capacity, start.Now), (Capacity, Now: now));
        lock (bucket)
        {
            Refill(bucket, now);
            if (bucket.Tokens < 1)
            {
                return TimeSpan.FromSeconds((1 - bucket.Tokens) / RatePerSecond);
            }

            bucket.Tokens -= 1;
            return null;
        }
    }

    private void Give(string name)
    {
        if (buckets.TryGetValue(name, out var bucket))
        {
            lock (bucket)
            {
                bucket.Tokens = Math.Min(Capacity, bucket.Tokens + 1);
            }
        }
    }

    private void DropFull()
    {
        var now = clock.GetTimestamp();
        foreach (var (name, bucket) in buckets)
        {
            lock (bucket)
            {
                Refill(bucket, now);
                if (bucket.Tokens >= Capacity)
                {
                    buckets.TryRemove(name, out _);
                }
            }
        }
    }

    private void Refill(Bucket bucket, long now)
    {
        // Timestamps are taken outside the lock, so a slightly older one may arrive second: never refill backwards.
        if (now > bucket.RefilledAt)
        {
            bucket.Tokens = Math.Min(Capacity, bucket.Tokens + (clock.GetElapsedTime(bucket.RefilledAt, now).TotalSeconds * RatePerSecond));
            bucket.RefilledAt = now;
        }
    }

    private sealed class Bucket(double tokens, long refilledAt)
    {
        public double Tokens { get; set; } = tokens;

        public long RefilledAt { get; set; } = refilledAt;
    }
}
