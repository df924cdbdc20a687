namespace Mesh.Fleet;

/// <summary>
/// Waits until an xDS server's <c>mesh_xds_connected_proxies</c> reaches a count (the storm's and the failover's "all
/// back") without making the server it measures do the work. Every scrape of <c>/metrics</c> that its exporter does not
/// answer from its 300 ms cache collects every instrument, and OpenTelemetry's process metrics read the process's
/// <c>/proc</c> entries and each of its threads' three times per collection. Polled every 5 ms, as the storm's wait did
/// until issue13bj, that was 13% of the restarted server's samples at 3,000 proxies, and the idle workers its 200
/// requests a second woke spun for 16% more: about 2 ms of the server's CPU per proxy in what the storm reported as its
/// CPU (docs/benchmarks.md, issue13bj). So <c>/healthz</c>, which counts the open streams and collects nothing, is
/// polled until it shows enough streams, and only then <c>/metrics</c>, at most once per the cache's 300 ms (a read
/// sooner gets the same answer). A stream counts as open before its first request names its proxy, so the count of
/// open streams reaches the target first: the answer is still <c>mesh_xds_connected_proxies</c>'s.
/// </summary>
internal sealed class ConnectedWait(Func<Task<int>> openStreams, Func<Task<double>> connectedProxies, TimeProvider clock, Func<TimeSpan, Task>? delay = null)
{
    /// <summary>How often the open streams are read.</summary>
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    /// <summary>How long the server's exporter answers <c>/metrics</c> from its cache (its default, which the server keeps).</summary>
    public static readonly TimeSpan MetricsCache = TimeSpan.FromMilliseconds(300);

    private readonly Func<TimeSpan, Task> _delay = delay ?? (wait => Task.Delay(wait, clock));

    /// <summary>Reads of the open streams (<c>/healthz</c>) so far.</summary>
    public int StreamReads { get; private set; }

    /// <summary>Reads of <c>/metrics</c> so far.</summary>
    public int MetricsReads { get; private set; }

    public async Task WaitAsync(int count, TimeSpan timeout, string what)
    {
        var started = clock.GetTimestamp();
        long? lastMetricsRead = null;
        while (true)
        {
            StreamReads++;
            if (await openStreams() >= count && (lastMetricsRead is not { } last || clock.GetElapsedTime(last) >= MetricsCache))
            {
                lastMetricsRead = clock.GetTimestamp();
                MetricsReads++;
                if (await connectedProxies() >= count)
                {
                    return;
                }
            }

            if (clock.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }

            await _delay(Poll);
        }
    }
}
