namespace Mesh.Fleet;

/// <summary>
/// How long a simulated proxy waits before it opens its xDS stream again, as Envoy's own xDS client does: a fully
/// jittered exponential backoff (a delay drawn uniformly from [0, interval), the interval starting at 500 ms and
/// doubling after each try up to 30 s), started afresh once a response arrives on a stream. Those are Envoy's fixed
/// values for its ADS stream (its gRPC stream's initial and maximum retry delay), so a reconnect storm here asks the
/// server for connections as often as a fleet of Envoys would: a flat short jitter instead keeps every proxy knocking
/// at a stopped server's port every half second, which costs the fleet's CPU (on the same cores as the server) and
/// leaves the proxies' retries nothing like Envoy's while the server is down.
/// </summary>
internal sealed class EnvoyBackoff(Random random)
{
    public const int BaseIntervalMilliseconds = 500;

    public const int MaxIntervalMilliseconds = 30_000;

    private int _interval = BaseIntervalMilliseconds;

    /// <summary>The upper bound (exclusive) of the next delay.</summary>
    public int Interval => _interval;

    /// <summary>The next delay, then the interval doubled (at most <see cref="MaxIntervalMilliseconds"/>).</summary>
    public TimeSpan Next()
    {
        var delay = random.Next(_interval);
        _interval = Math.Min(_interval * 2, MaxIntervalMilliseconds);
        return TimeSpan.FromMilliseconds(delay);
    }

    /// <summary>A response arrived: the next broken stream starts from the base interval again.</summary>
    public void Reset() => _interval = BaseIntervalMilliseconds;
}
