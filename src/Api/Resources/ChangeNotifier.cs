using System.Threading.Channels;
using Mesh.Api.Observability;
using Mesh.Persistence;
using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// Wakes the change feed's followers after resource writes commit: one <c>NOTIFY</c> on <see cref="ChangeFeed.Channel"/>
/// for however many writes committed since the last one was sent.
/// </summary>
/// <remarks>
/// Each write used to send its own NOTIFY after its COMMIT (its own transaction, in the write's round trip). A
/// notifying transaction takes PostgreSQL's one notification-queue lock at commit, so at 32 clients a fifth of the
/// writers were queued on that lock at any time (issue14l), and every NOTIFY woke each listening xDS server. Here
/// at most one NOTIFY is in flight per API: a write that commits while one is being sent arms exactly one more,
/// sent right after it. Nothing is lost by coalescing: the change rows are committed in the writes' transactions,
/// the payload is empty (followers read the table after their watermark), and the NOTIFY is sent after every commit
/// it stands for (<see cref="Changed"/> is called once the write has answered, committed, and the send starts only after the
/// signal is taken). If a NOTIFY fails (the database away), it is logged, counted and sent again a second later;
/// followers also read the log every couple of seconds without one (the xDS server's <c>Xds:Feed:PollInterval</c>),
/// which covers an API that stops between a commit and its NOTIFY.
///
/// Two NOTIFYs are at least <c>Mesh:ChangeNotifyInterval</c> apart (20 ms): at a few hundred writes a second the API
/// otherwise sent one per write's round trip, each a PostgreSQL transaction and a wake-up of every xDS server
/// (0.08 ms of its CPU each, issue14r), which waits 25 ms for more after a wake-up anyway. The wait comes before
/// the signal is taken, so the writes that commit during it are covered by the NOTIFY that follows it.
/// </remarks>
public sealed partial class ChangeNotifier(
    NpgsqlDataSource database,
    TimeSpan interval,
    TimeProvider clock,
    ApiMetrics metrics,
    ILogger<ChangeNotifier> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    // One slot: a signal written while one is already waiting is the same wake-up, so it is dropped.
    private readonly Channel<bool> pending = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    /// <summary>Says that a write that changed the change log has committed; its NOTIFY follows.</summary>
    public void Changed() => pending.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long? lastSent = null;
        while (await pending.Reader.WaitToReadAsync(stoppingToken))
        {
            if (lastSent is { } sent && interval - clock.GetElapsedTime(sent) is { } left && left > TimeSpan.Zero)
            {
                await Task.Delay(left, clock, stoppingToken);
            }

            pending.Reader.TryRead(out _);
            lastSent = clock.GetTimestamp();
            try
            {
                await using var connection = await database.OpenConnectionAsync(stoppingToken);
                await using var notify = new NpgsqlCommand($"NOTIFY {ChangeFeed.Channel}", connection);
                await notify.ExecuteNonQueryAsync(stoppingToken);
            }
            catch (Exception error) when (error is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                metrics.ChangeNotifyFailed();
                LogNotifyFailed(logger, error);
                Changed();
                await Task.Delay(RetryDelay, stoppingToken);
            }
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        database.Dispose();
    }

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Waking the change feed's followers (NOTIFY) failed; retrying in a second (they also poll the change log)")]
    private static partial void LogNotifyFailed(ILogger logger, Exception error);
}
