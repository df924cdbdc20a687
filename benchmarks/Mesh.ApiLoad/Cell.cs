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
            return (Cpu: Environment.CpuUsage.TotalTime, Pauses: pauses is null ? default : await pauses.ReadAsync());
        });
        var perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            using var connection = connect(client);
            var answers = new List<Answer>();
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
                }
            }

            return (answers, lastEnd);
        })));
        var atStart = await cpuAtStart;
        var clientCpu = Environment.CpuUsage.TotalTime - atStart.Cpu;
        var pausesAtEnd = pauses is null ? default : await pauses.ReadAsync();

        // A client that ran out of work early stops the clock at its last answer, not at the cell's end.
        var elapsed = TimeSpan.FromSeconds((perClient.Max(c => c.lastEnd) - measureFrom) / (double)Stopwatch.Frequency);
        var gc = pauses is null || elapsed <= TimeSpan.Zero
            ? (Api: double.NaN, Client: double.NaN)
            : (Api: (pausesAtEnd.ApiSeconds - atStart.Pauses.ApiSeconds) * 1000 / elapsed.TotalSeconds,
                Client: (pausesAtEnd.ClientSeconds - atStart.Pauses.ClientSeconds) * 1000 / elapsed.TotalSeconds);
        return CellResult.From(name, clients, perClient.SelectMany(c => c.answers).ToList(), elapsed, clientCpu) with
        {
            ApiGcPauseMsPerSecond = gc.Api,
            ClientGcPauseMsPerSecond = gc.Client,
        };
    }
}

internal sealed record CellResult(
    string Name, int Clients, int Calls, double PerSecond, double P50Ms, double P99Ms, IReadOnlyDictionary<string, int> Failures, double ClientCpuMsPerCall)
{
    public int Failed => Failures.Values.Sum();

    /// <summary>Milliseconds per second of the measured time that the API's garbage collector held all its threads (NaN: not read).</summary>
    public double ApiGcPauseMsPerSecond { get; init; } = double.NaN;

    /// <summary>The same for the load client itself, whose pauses delay the calls it has in flight just as much.</summary>
    public double ClientGcPauseMsPerSecond { get; init; } = double.NaN;

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
            answers.Count == 0 ? 0 : clientCpu.TotalMilliseconds / answers.Count);
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
