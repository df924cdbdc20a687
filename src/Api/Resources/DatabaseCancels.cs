using System.Collections.Concurrent;
using Mesh.Api.Observability;

namespace Mesh.Api.Resources;

/// <summary>
/// Cancels database work that its caller stopped waiting for (writes and reads, see <see cref="DeadlineRace"/>; access-key
/// reads, see <c>AccessKeyCache</c>), one at a time, on a thread of its own, with a bounded queue.
/// </summary>
/// <remarks>
/// Cancelling a running Npgsql command sends PostgreSQL a cancel request on a new connection and waits,
/// synchronously and with no time limit, for the server to close it (<c>NpgsqlConnector.DoCancelRequest</c>). A
/// frozen server (SIGSTOP, a stalled VM) closes it only when it runs again, so each cancel holds its thread for the
/// whole freeze. Sent from the thread pool, as before (issue14j), 32 writers abandoned at their deadlines held 32 pool
/// threads, and every other request (reads, <c>/healthz</c>) queued behind the pool's slow thread injection. Here one
/// dedicated thread sends them in turn: during a freeze it waits on the first, and the rest wait in the queue. When the
/// queue is full a cancel is not sent (logged and counted in <c>mesh_api_write_cancels_skipped_total</c>): its write
/// still ends, whole or not at all, when the server answers again, and its caller was answered already.
/// </remarks>
public sealed partial class DatabaseCancels : IDisposable
{
    /// <summary>How many cancels may wait behind the one being sent.</summary>
    public const int DefaultCapacity = 1024;

    private readonly BlockingCollection<CancellationTokenSource> queue;
    private readonly Action skipped;
    private readonly Action<Exception> failed;

    public DatabaseCancels(ApiMetrics metrics, ILogger<DatabaseCancels> logger)
        : this(DefaultCapacity,
            () =>
            {
                metrics.WriteCancelSkipped();
                LogSkipped(logger, DefaultCapacity);
            },
            error => LogFailed(logger, error))
    {
    }

    /// <summary>For tests: a queue of <paramref name="capacity"/>, with what to do when it is full or a cancel throws.</summary>
    public DatabaseCancels(int capacity, Action skipped, Action<Exception> failed)
    {
        queue = new BlockingCollection<CancellationTokenSource>(capacity);
        this.skipped = skipped;
        this.failed = failed;
        new Thread(Run) { IsBackground = true, Name = "mesh-database-cancels" }.Start();
    }

    /// <summary>Cancels <paramref name="source"/> on the cancel thread (its callbacks run there); never blocks the caller.</summary>
    public void Cancel(CancellationTokenSource source)
    {
        if (!queue.TryAdd(source))
        {
            skipped();
        }
    }

    public void Dispose() => queue.CompleteAdding();

    private void Run()
    {
        foreach (var source in queue.GetConsumingEnumerable())
        {
            try
            {
                // The source is not disposed: the work it belongs to may still be running with its token.
                source.Cancel();
            }
            catch (Exception error)
            {
                failed(error);
            }
        }
    }

    [LoggerMessage(EventId = 47, Level = LogLevel.Warning, Message = "{Capacity} cancels of abandoned database work are waiting for the database already; this one is not sent (its write or read ends when the database answers)")]
    private static partial void LogSkipped(ILogger logger, int capacity);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "Cancelling abandoned database work failed")]
    private static partial void LogFailed(ILogger logger, Exception error);
}
