using System.Diagnostics;
using System.Globalization;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Protocol;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Hosting;

/// <summary>
/// A stopping xDS server first stops taking connections and asks every open one to close (HTTP/2 GOAWAY), and each
/// stream ends with UNAVAILABLE when its connection is asked to close (<see cref="XdsStreams"/>).
/// <para>
/// Left to the host, Kestrel stops last, after the other hosted services, while streams used to end as soon as the
/// stop was requested: a proxy told UNAVAILABLE reconnected (after its jitter) over its still-open connection, the
/// stopping server took the new stream (parsing its node again), and when Kestrel did close the connection the
/// proxy was still writing its first requests, which it saw as the request aborted (measured with the fleet: up to
/// a fifth of the streams at 2,000 proxies). After a GOAWAY a client opens no new stream on that connection, and a
/// new connection is refused, which gRPC clients report as UNAVAILABLE and retry. Unless the port is held until the
/// exit (<see cref="XdsOptions.HoldPortWhileStopping"/>): then a new connection waits in the port's backlog, never
/// accepted, and is reset when the process exits, once instead of refused again and again through the stop.
/// </para>
/// </summary>
public static class StopListeningFirst
{
    /// <summary>
    /// How long the stop waits for connections to close before Kestrel resets what is left (the host's own
    /// default is 30 s). Streams end within milliseconds of the GOAWAY, so this only bounds a stuck one, and it
    /// leaves room under an orchestrator's usual 30 s grace period before it kills the process.
    /// </summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(20);

    public static void Register(IServiceProvider services)
    {
        var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
        var server = services.GetRequiredService<IServer>();
        var streams = services.GetRequiredService<StreamRegistry>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Mesh.XdsServer.Hosting");

        // Off the thread that fires ApplicationStopping, which goes on to stop the host. The host's own stop of the
        // server later waits for this one (Kestrel stops once).
        var began = 0L;
        var costAtStop = default(ProcessCost);
        lifetime.ApplicationStopping.Register(() =>
        {
            began = Stopwatch.GetTimestamp();
            costAtStop = ProcessCost.Now();
            _ = Task.Run(() => StopServerAsync(server, streams, logger, began));
        });

        // The stop's phases in the log (the fleet's storm reports them): the connections' close above, then the
        // host's other services; what follows is the container's disposal and the process's exit. Then what the stop
        // cost the process, with the collector's share of it.
        lifetime.ApplicationStopped.Register(() =>
        {
            logger.HostStopped((long)Stopwatch.GetElapsedTime(began).TotalMilliseconds);
            var cost = ProcessCost.Now().Since(costAtStop);
            logger.StopCost((long)cost.Cpu.TotalMilliseconds, cost.AllocatedBytes / (1024 * 1024), cost.Collections, cost.Gen1Collections, cost.Gen2Collections, (long)cost.Paused.TotalMilliseconds);
        });

        // The port itself stays listening until the exit (XdsPortAtStart, Xds:HoldPortWhileStopping): what waits in it
        // then is reset by the kernel, said here because nothing accepts it to count it otherwise.
        if (services.GetService<XdsPortAtStart>() is { } port)
        {
            lifetime.ApplicationStopped.Register(() =>
            {
                if (port.Held)
                {
                    logger.PortHeldUntilExit(port.Endpoint.ToString(), port.WaitingInBacklog()?.ToString(CultureInfo.InvariantCulture) ?? "an unknown number of");
                }
            });
        }
    }

    private static async Task StopServerAsync(IServer server, StreamRegistry streams, ILogger logger, long began)
    {
        logger.StoppingStreams(streams.Count, ShutdownTimeout);
        using var timeout = new CancellationTokenSource(ShutdownTimeout);
        var openAtBound = 0;
        using var atBound = timeout.Token.Register(() => openAtBound = streams.Count);
        try
        {
            await server.StopAsync(timeout.Token);
            var elapsed = (long)Stopwatch.GetElapsedTime(began).TotalMilliseconds;
            if (timeout.IsCancellationRequested)
            {
                // Kestrel returns normally at the bound, having reset what was still open: said, not taken for a close.
                logger.ConnectionsReset(elapsed, openAtBound, ShutdownTimeout);
            }
            else
            {
                logger.ConnectionsClosed(elapsed);
            }
        }
        catch (Exception e)
        {
            logger.ServerStopFailed(e);
        }
    }
}
