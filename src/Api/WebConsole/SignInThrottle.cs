using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Mesh.Api.WebConsole;

/// <summary>
/// Limits failed console sign-ins, a token bucket of <see cref="ConsoleOptions.SignInBurst"/> attempts refilled at
/// <see cref="ConsoleOptions.SignInsPerMinute"/> for each pair of access key id (as typed, whether or not it exists)
/// and source address. A sign-in that succeeds gives its attempt back.
/// <list type="bullet">
/// <item>Per pair, not per key: key ids are not secret (they are in logs and signed requests), and a bucket per key
/// would let anyone lock a key's owner out of the console by failing sign-ins as it from elsewhere. Per pair, the
/// owner's own address keeps its attempts.</item>
/// <item>Not per address alone: behind a load balancer every browser arrives from one address.</item>
/// <item>Keys that do not exist are limited alike, so the limit tells nothing about which key ids exist.</item>
/// </list>
/// Guessing a secret (40 random characters) is hopeless at any rate; the limit keeps one caller from making it cheap.
/// Separately, <see cref="MayAttribute"/> bounds how many refused sign-ins of one key id its owner's audit log receives.
/// </summary>
public sealed class SignInThrottle(IOptions<ConsoleOptions> options, TimeProvider clock)
{
    /// <summary>Buckets kept: key ids and addresses are the caller's to choose, so the table is bounded.</summary>
    private const int MaxTracked = 10_000;

    private readonly ConcurrentDictionary<string, Bucket> buckets = new(StringComparer.Ordinal);
    private long sweptAt;

    private double Capacity => Math.Max(1, options.Value.SignInBurst);

    private double RatePerSecond => Math.Max(options.Value.SignInsPerMinute, 0.001) / 60;

    /// <summary>Takes an attempt from the pair's bucket. Null when admitted; otherwise how long until it holds one again.</summary>
    public TimeSpan? TryAdmit(string keyId, string address) => Take(PairOf(keyId, address));

    /// <summary>A sign-in that succeeded gives back what <see cref="TryAdmit"/> took.</summary>
    public void Succeeded(string keyId, string address)
    {
        if (buckets.TryGetValue(PairOf(keyId, address), out var bucket))
        {
            lock (bucket)
            {
                bucket.Tokens = Math.Min(Capacity, bucket.Tokens + 1);
            }
        }
    }

    /// <summary>
    /// Whether a refused sign-in of <paramref name="keyId"/> may be audited under its key's account: at the same burst
    /// and rate as the admission limit, so failures made from many addresses cannot bury the owner's audit log (past
    /// the limit they are audited host-wide, under no account).
    /// </summary>
    public bool MayAttribute(string keyId) => Take("audit:" + Bounded(keyId)) is null;

    private static string PairOf(string keyId, string address) => "pair:" + Bounded(keyId) + "\n" + address;

    private static string Bounded(string text) => text.Length > 128 ? text[..128] : text;

    private TimeSpan? Take(string name)
    {
        var now = clock.GetTimestamp();
        if (buckets.Count >= MaxTracked)
        {
            Sweep(now);
        }

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

    /// <summary>
    /// At most once a second: drops the buckets that are full again (as good as none), and, when a flood of new names
    /// keeps the table full even so, all of them: a flood then resets everyone's count, which is the price of a
    /// bounded table, and cheap since a guess is hopeless anyway.
    /// </summary>
    private void Sweep(long now)
    {
        var last = Interlocked.Read(ref sweptAt);
        if (clock.GetElapsedTime(last, now) < TimeSpan.FromSeconds(1) || Interlocked.CompareExchange(ref sweptAt, now, last) != last)
        {
            return;
        }

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

        if (buckets.Count >= MaxTracked)
        {
            buckets.Clear();
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
