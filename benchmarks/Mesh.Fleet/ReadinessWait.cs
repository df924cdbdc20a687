namespace Mesh.Fleet;

/// <summary>
/// Waits for a server the fleet started to answer <c>/readyz</c> with 200, up to one overall bound. A probe that gets
/// no answer in its own time (<see cref="ProbeTimeout"/>, the admin client's) is "not ready yet", like a 503 or a
/// refused connection: a server restarted under a reconnect storm answers its admin port late while it takes the
/// storm's connections, and one probe that timed out at load 35–75 used to end the whole run (docs/benchmarks.md,
/// issue13bl). Only the overall bound, or the server's exit, ends the wait without readiness.
/// </summary>
internal sealed class ReadinessWait(Func<CancellationToken, Task<bool>> probe, Func<bool> exited, TimeProvider clock, Func<TimeSpan, Task>? delay = null)
{
    /// <summary>How long one probe may go unanswered (the admin client's own time-out).</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The pause between probes.</summary>
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    private readonly Func<TimeSpan, Task> _delay = delay ?? (wait => Task.Delay(wait, clock));

    /// <summary>Probes made so far.</summary>
    public int Probes { get; private set; }

    /// <summary>Probes that got no answer within <see cref="ProbeTimeout"/> (or the time left of the bound).</summary>
    public int TimedOut { get; private set; }

    /// <summary>Returns once a probe says ready; throws when the server exited, or at the bound.</summary>
    public async Task WaitAsync(TimeSpan bound, string server)
    {
        var started = clock.GetTimestamp();
        while (clock.GetElapsedTime(started) < bound)
        {
            if (exited())
            {
                throw new InvalidOperationException($"the xDS server exited; see {server}");
            }

            // A probe never runs past the bound: the last one gets what is left of it.
            var left = bound - clock.GetElapsedTime(started);
            using var patience = new CancellationTokenSource(left < ProbeTimeout ? left : ProbeTimeout, clock);
            Probes++;
            try
            {
                if (await probe(patience.Token))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Refused, or the connection broke: not listening yet.
            }
            catch (OperationCanceledException)
            {
                // The probe's own time-out (HttpClient reports it as a TaskCanceledException): not ready yet.
                TimedOut++;
            }

            await _delay(Poll);
        }

        throw new TimeoutException($"the xDS server was not ready in {bound} ({Probes} /readyz probes, {TimedOut} of them unanswered within {ProbeTimeout.TotalSeconds:F0} s); see {server}");
    }
}
