using System.Diagnostics;

namespace Mesh.ApiLoad;

/// <summary>
/// One measured cell: <c>clients</c> clients, each with its own connection, calling as fast as answers come back,
/// first for a warm-up that is not counted, then for the measured time.
/// </summary>
internal static class Cell
{
    /// <summary>
    /// One call of a client. It returns null when the client has nothing left to do (e.g. no node left to delete).
    /// </summary>
    public delegate Task<Answer?> Call(int client, SignedClient connection, int iteration);

    public static async Task<CellResult> RunAsync(string name, int clients, Func<int, SignedClient> connect, TimeSpan warmup, TimeSpan measured, Call call, GcPauses? pauses = null)
    {
        var started = Stopwatch.GetTimestamp();
        var measureFrom = started + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var end = measureFrom + (long)(measured.TotalSeconds * Stopwatch.Frequency);

        // The load client's own CPU over the measured calls (from the measured time's start until the last of them
        // has answered): it runs on the same cores as the API, so what it costs per call is reported beside the rate.
        var cpuAtStart = Task.Run(async () =>
        {
            await Task.Delay(warmup);
            return (Cpu: Environment.CpuUsage.TotalTime, Allocated: GC.GetTotalAllocatedBytes(), Pauses: pauses is null ? default : await pauses.ReadAsync());
        });
        var perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            using var connection = connect(client);
            var answers = new List<Answer>();
            var ends = new List<long>();
            var lastEnd = measureFrom;
            for (var i = 0; Stopwatch.GetTimestamp() < end; i++)
            {
                var callStart = Stopwatch.GetTimestamp();
                if (await call(client, connection, i) is not { } answer)
                {
                    break;
                }

                if (callStart >= measureFrom)
                {
                    answers.Add(answer);
                    lastEnd = Stopwatch.GetTimestamp();
                    if (answer.Ok)
                    {
                        ends.Add(lastEnd);
                    }
                }
            }

            return (answers, ends, lastEnd);
        })));
        var atStart = await cpuAtStart;
        var clientCpu = Environment.CpuUsage.TotalTime - atStart.Cpu;
        var clientAllocated = GC.GetTotalAllocatedBytes() - atStart.Allocated;
        var pausesAtEnd = pauses is null ? default : await pauses.ReadAsync();

        // A client that ran out of work early stops the clock at its last answer, not at the cell's end.
        var elapsed = TimeSpan.FromSeconds((perClient.Max(c => c.lastEnd) - measureFrom) / (double)Stopwatch.Frequency);
        var gc = pauses is null || elapsed <= TimeSpan.Zero
            ? (Api: double.NaN, Client: double.NaN)
            : (Api: (pausesAtEnd.ApiSeconds - atStart.Pauses.ApiSeconds) * 1000 / elapsed.TotalSeconds,
                Client: (pausesAtEnd.ClientSeconds - atStart.Pauses.ClientSeconds) * 1000 / elapsed.TotalSeconds);
        var jitPerSecond = pauses is null || elapsed <= TimeSpan.Zero
            ? double.NaN
            : (pausesAtEnd.ApiJitMethods - atStart.Pauses.ApiJitMethods) / elapsed.TotalSeconds;
        var collectionsPerSecond = pauses is null || elapsed <= TimeSpan.Zero
            ? double.NaN
            : (pausesAtEnd.ApiCollections - atStart.Pauses.ApiCollections) / elapsed.TotalSeconds;

        // What the calls cost the API itself: its CPU and its allocations between the two readings (at the measured
        // time's start and after the last measured answer), per measured call. The two /metrics reads are in it too
        // (about 100 KB each, issue14ag): under 0.1 KB a call for any cell of 2,000 calls or more.
        var answers = perClient.SelectMany(c => c.answers).ToList();
        var (apiCpuMs, apiKb) = pauses is null || answers.Count == 0
            ? (double.NaN, double.NaN)
            : ((pausesAtEnd.ApiCpuSeconds - atStart.Pauses.ApiCpuSeconds) * 1000 / answers.Count,
                (pausesAtEnd.ApiAllocatedBytes - atStart.Pauses.ApiAllocatedBytes) / 1024 / answers.Count);
        var result = CellResult.From(name, clients, answers, elapsed, clientCpu);
        return result with
        {
            ClientKbPerCall = answers.Count == 0 ? double.NaN : clientAllocated / 1024.0 / answers.Count,
            ApiCollectionsPerSecond = collectionsPerSecond,
            Tail = result.Tail with
            {
                ApiOver5Ms = TailShares.Over(pausesAtEnd.ApiRequests - atStart.Pauses.ApiRequests, pausesAtEnd.ApiRequestsWithin5Ms - atStart.Pauses.ApiRequestsWithin5Ms),
                ApiOver10Ms = TailShares.Over(pausesAtEnd.ApiRequests - atStart.Pauses.ApiRequests, pausesAtEnd.ApiRequestsWithin10Ms - atStart.Pauses.ApiRequestsWithin10Ms),
            },
            ApiCpuMsPerCall = apiCpuMs,
            ApiKbPerCall = apiKb,
            ApiGcPauseMsPerSecond = gc.Api,
            ClientGcPauseMsPerSecond = gc.Client,
            ApiJitMethodsPerSecond = jitPerSecond,
            Trend = RateTrend.Of(perClient.SelectMany(c => c.ends), measureFrom, elapsed),
        };
    }
}

/// <summary>
/// The rate of successful answers in the first and the last third of a cell's measured time. A rate that is still
/// rising means the cell measured the API's warm-up (the JIT compiling and recompiling the calls' code), not its
/// steady rate; the first cell after a start did (docs/benchmarks.md, issue14ac).
/// </summary>
internal readonly record struct RateTrend(double FirstThirdPerSecond, double LastThirdPerSecond)
{
    /// <summary>How much faster the last third ran than the first beyond which a cell's rate counts as still rising.</summary>
    public const double RisingBy = 0.10;

    public bool Rising => FirstThirdPerSecond > 0 && LastThirdPerSecond > FirstThirdPerSecond * (1 + RisingBy);

    public static RateTrend Of(IEnumerable<long> ends, long measureFrom, TimeSpan elapsed)
    {
        if (elapsed <= TimeSpan.Zero)
        {
            return default;
        }

        var third = elapsed.TotalSeconds / 3 * Stopwatch.Frequency;
        int first = 0, last = 0;
        foreach (var end in ends)
        {
            var at = end - measureFrom;
            if (at < third)
            {
                first++;
            }
            else if (at >= 2 * third)
            {
                last++;
            }
        }

        var seconds = elapsed.TotalSeconds / 3;
        return new RateTrend(first / seconds, last / seconds);
    }
}

internal sealed record CellResult(
    string Name, int Clients, int Calls, double PerSecond, double P50Ms, double P99Ms, IReadOnlyDictionary<string, int> Failures, double ClientCpuMsPerCall)
{
    public int Failed => Failures.Values.Sum();

    /// <summary>The API process's CPU (user and system) per measured call, in milliseconds (NaN: not read).</summary>
    public double ApiCpuMsPerCall { get; init; } = double.NaN;

    /// <summary>What the API allocated per measured call, in KB (NaN: not read).</summary>
    public double ApiKbPerCall { get; init; } = double.NaN;

    /// <summary>Milliseconds per second of the measured time that the API's garbage collector held all its threads (NaN: not read).</summary>
    public double ApiGcPauseMsPerSecond { get; init; } = double.NaN;

    /// <summary>The same for the load client itself, whose pauses delay the calls it has in flight just as much.</summary>
    public double ClientGcPauseMsPerSecond { get; init; } = double.NaN;

    /// <summary>Methods the API's JIT compiled per second of the measured time (NaN: not read); above <see cref="JitQuiet.MethodsPerSecond"/> the cell measured tiering.</summary>
    public double ApiJitMethodsPerSecond { get; init; } = double.NaN;

    /// <summary>The rate in the measured time's first and last thirds, to tell a steady rate from a warm-up.</summary>
    public RateTrend Trend { get; init; }

    /// <summary>What the load client itself allocated per measured call, in KB (its garbage collections pause its calls in flight).</summary>
    public double ClientKbPerCall { get; init; } = double.NaN;

    /// <summary>The API's garbage collections (every generation) per second of the measured time (NaN: not read).</summary>
    public double ApiCollectionsPerSecond { get; init; } = double.NaN;

    /// <summary>The share of slow calls as the client timed them and as the API's own HTTP server timed them.</summary>
    public TailShares Tail { get; init; } = TailShares.Unread;

    public static CellResult From(string name, int clients, List<Answer> answers, TimeSpan elapsed, TimeSpan clientCpu)
    {
        var latencies = answers.Select(a => a.Elapsed.TotalMilliseconds).Order().ToArray();
        var failures = answers.Where(a => !a.Ok).GroupBy(a => a.Outcome).ToDictionary(g => g.Key, g => g.Count());
        return new CellResult(
            name,
            clients,
            answers.Count,
            elapsed > TimeSpan.Zero ? answers.Count(a => a.Ok) / elapsed.TotalSeconds : 0,
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.99),
            failures,
            answers.Count == 0 ? 0 : clientCpu.TotalMilliseconds / answers.Count)
        {
            Tail = TailShares.Unread with
            {
                ClientOver5Ms = TailShares.Over(latencies.Length, latencies.Count(ms => ms <= 5)),
                ClientOver10Ms = TailShares.Over(latencies.Length, latencies.Count(ms => ms <= 10)),
            },
        };
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
