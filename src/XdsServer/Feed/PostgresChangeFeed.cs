using Mesh.Model.Identity;
using Mesh.Persistence;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Snapshots;
using System.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Mesh.XdsServer.Feed;

/// <summary>
/// Follows the database. It LISTENs on <see cref="ChangeFeed.Channel"/> (on a connection of its own, outside the
/// server's pool: <see cref="ListenConnections"/>), and on each notification (debounced) or poll tick reads the
/// durable change log's rows it has not applied (above its <see cref="ChangeLogPosition"/>'s top, and its holes by
/// number), then reloads each mesh that changed, once however many changes it had,
/// several meshes at once (up to one per core). A changed mesh that no proxy watches is
/// loaded later (<see cref="ChangeFeedOptions.UnwatchedDelay"/>, <see cref="DeferredMeshes"/>), once for every change
/// made meanwhile, or as soon as a proxy starts to watch it (which wakes the feed, <see cref="FeedWakeup"/>). The
/// notification only says "look"; the log says what. Start-up and every reconnect run the same catch-up, so a
/// change made while this replica was down or disconnected is never missed. While the database is unreachable the
/// cache keeps serving the last snapshots, and the feed retries with capped exponential backoff.
/// </summary>
public sealed partial class PostgresChangeFeed(
    IDbContextFactory<MeshDbContext> contexts,
    ListenConnections listenConnections,
    MeshLoader loader,
    IChangePathPrimer primer,
    SnapshotCache cache,
    SnapshotProducer producer,
    FeedStatus status,
    XdsMetrics metrics,
    IOptions<ChangeFeedOptions> options,
    TimeProvider clock,
    ILogger<PostgresChangeFeed> logger) : BackgroundService
{
    private const int BatchSize = 1000;
    private readonly ChangeFeedOptions _options = options.Value;
    private readonly ChangeLogPosition _position = new(options.Value.GapTimeout, clock);
    private readonly DeferredMeshes _deferred = new(clock);
    private readonly PendingRows _pending = new();

    // The last migration the feed saw applied: a new one may have rewritten rows without logging them.
    private readonly MigrationWatch _migrations = new();

    // One per LISTEN connection, so that the end of the last one (WakeReasons.ListenEnded) is not taken for the end of
    // the next. A watch that sets the old one between connections is not lost: the reconnect's catch-up loads every
    // waiting mesh that is watched.
    private volatile FeedWakeup? _wakeup;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        status.State = FeedState.Starting;
        metrics.Increment(PrimeFailures, PrimeFailuresHelp, by: 0);
        cache.FirstWatch += OnFirstWatch;
        try
        {
            await FollowWithRetriesAsync(stoppingToken);
        }
        finally
        {
            cache.FirstWatch -= OnFirstWatch;
        }
    }

    private async Task FollowWithRetriesAsync(CancellationToken stoppingToken)
    {
        var backoff = _options.MinBackoff;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await FollowAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Whatever broke (the database, the network, a query), the cache keeps serving; retry and catch up.
                // Which changes reached which mesh before it broke is not known for sure: every mesh's next read is a
                // full one.
                loader.DistrustIncrements(MeshRowReader.FullReasons.Failed);
                _pending.Clear();
                status.State = FeedState.Disconnected;
                status.LastError = clock.GetUtcNow();
                metrics.FeedError();
                logger.FeedDisconnected(e, backoff);
                await Task.Delay(backoff, clock, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
                continue;
            }

            backoff = _options.MinBackoff;
        }
    }

    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        // Not from the server's pool (ListenConnections): closed when this returns, its LISTEN with it.
        await using var connection = await listenConnections.OpenAsync(cancellationToken);
        var wakeup = new FeedWakeup(clock);
        _wakeup = wakeup;
        connection.Notification += (_, _) => wakeup.Set(WakeReasons.Notified);
        await using (var listen = new NpgsqlCommand($"LISTEN {ChangeFeed.Channel}", connection))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken);
        }

        // From here the LISTEN connection is read on its own (its notifications set wakeup), so the loop below can be
        // woken by other things too, and its time-outs are its own.
        using var stopListening = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var listening = ListenAsync(connection, wakeup, stopListening.Token);
        try
        {
            // LISTEN is in place before the first read, so nothing committed from here on can slip between them.
            if (!status.Loaded)
            {
                await LoadEverythingAsync(cancellationToken);
            }
            else
            {
                await CatchUpAsync(cancellationToken);
            }

            status.State = FeedState.Live;
            while (true)
            {
                // A mesh left for later is loaded when it is due even if nothing else happens. Whole milliseconds
                // (rounded up), so a timer that truncates a fraction does not wake the loop just before the deadline.
                var wait = _deferred.UntilNextDue() is { } due && due < _options.PollInterval ? due : _options.PollInterval;
                var woken = await wakeup.WaitAsync(TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds)), cancellationToken);
                if (woken == WakeReasons.Notified)
                {
                    // Coalesce a burst: keep waiting while notifications keep coming, up to MaxDebounce. Anything
                    // else (a proxy watching a waiting mesh, the LISTEN connection ending) ends the wait at once.
                    var started = clock.GetTimestamp();
                    do
                    {
                        woken = await wakeup.WaitAsync(_options.Debounce, cancellationToken);
                    }
                    while (woken == WakeReasons.Notified && clock.GetElapsedTime(started) < _options.MaxDebounce);
                }

                if (woken.HasFlag(WakeReasons.ListenEnded) || listening.IsCompleted)
                {
                    await listening; // throws what broke the LISTEN connection; the caller reconnects and catches up
                    throw new InvalidOperationException("The LISTEN connection stopped waiting.");
                }

                await CatchUpAsync(cancellationToken);
            }
        }
        finally
        {
            await stopListening.CancelAsync();
            try
            {
                await listening;
            }
            catch (Exception) when (stopListening.IsCancellationRequested)
            {
                // Cancelling Npgsql's wait breaks the connection, which is being closed anyway.
            }
        }
    }

    /// <summary>
    /// Reads the LISTEN connection until it breaks or the feed stops: each NOTIFY sets <see cref="WakeReasons.Notified"/>
    /// (the connection's Notification event), and its end sets <see cref="WakeReasons.ListenEnded"/> so the feed finds
    /// out at once rather than at its next time-out.
    /// </summary>
    private static async Task ListenAsync(NpgsqlConnection connection, FeedWakeup wakeup, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await connection.WaitAsync(cancellationToken);
            }
        }
        finally
        {
            wakeup.Set(WakeReasons.ListenEnded);
        }
    }

    /// <summary>
    /// A proxy that starts to watch a mesh whose changes wait in <see cref="_deferred"/> wakes the feed, so that it
    /// is served the current graph at once instead of after the delay or the next catch-up. Raised on the watching
    /// stream's thread; cheap when the mesh does not wait.
    /// </summary>
    private void OnFirstWatch(ProxyIdentity identity)
    {
        if (_deferred.IsWaiting(identity.Mesh))
        {
            _wakeup?.Set(WakeReasons.Watched);
        }
    }

    private async Task LoadEverythingAsync(CancellationToken cancellationToken)
    {
        using var activity = XdsTracing.Source.StartActivity("LoadAllMeshes");
        var (meshes, max) = await ReadEverythingAsync(cancellationToken);
        await PrimeChangePathAsync(max, cancellationToken);

        status.Loaded = true;
        status.Watermark = _position.Watermark;
        producer.FirstLoadDone();
        logger.FeedLoaded(meshes.Count, max, metrics.Get(XdsMetrics.StreamsWaitedForFirstLoad));
    }

    /// <summary>
    /// Starts the position <see cref="ChangeFeedOptions.StartWindow"/> below the log's maximum (never below the last
    /// number pruned: those rows are gone, and their changes are in the rows read now) and reads every mesh whole: each
    /// the database holds and each this server serves (so one deleted meanwhile is taken away). Returns how many meshes
    /// it read and the log's maximum.
    /// </summary>
    private async Task<(List<MeshKey> Meshes, long Max)> ReadEverythingAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var reader = new ChangeLogReader(db);
        var max = await metrics.QueryAsync(() => reader.MaxSeqAsync(cancellationToken));
        var prunedThrough = await metrics.QueryAsync(() => reader.PrunedThroughAsync(cancellationToken));
        var floor = Math.Max(Math.Max(0, max - _options.StartWindow), Math.Min(prunedThrough, max));
        var present = await metrics.QueryAsync(() => reader.SeqsBetweenAsync(floor, max, cancellationToken));

        // The numbers in the window that were not visible are holes: their transactions may still be in flight.
        _position.Start(floor);
        foreach (var seq in present.Order())
        {
            if (_position.Read(seq) == ChangeLogPosition.ReadResult.NewAfterUntrackedJump)
            {
                LogUntrackedJump(logger, seq); // only with a StartWindow past MaxHolesPerJump; everything is loaded whole
            }
        }

        var stored = await metrics.QueryAsync(() => reader.MeshesAsync(cancellationToken));
        var meshes = stored.Select(m => new MeshKey(m.AccountId, m.MeshName)).Union(producer.Meshes).ToList();

        // Whatever migration is applied now, every mesh is read after it (the first reading: nothing loaded before it).
        _migrations.IsNew(await metrics.QueryAsync(() => LastMigrationAsync(db, cancellationToken)));
        await LoadAsync(meshes, null, cancellationToken);
        return (meshes, max);
    }

    /// <summary>
    /// Reads everything again when the feed cannot know which changes it missed: change-log rows it had not read were
    /// pruned (it was cut off from the database for about <c>Mesh:Retention:ChangeLog</c>), or the log jumped past more
    /// numbers than it tracks (a sequence reset, a restore). Reading on from the log would leave a mesh whose change
    /// is gone stale until it changed again. Logged and counted (<c>mesh_xds_feed_resyncs_total</c>).
    /// </summary>
    private async Task ResyncAsync(string reason, long prunedThrough, CancellationToken cancellationToken)
    {
        metrics.FeedResynced(reason);
        if (reason == XdsMetrics.ResyncReasons.Pruned)
        {
            LogPrunedResync(logger, prunedThrough, _position.Watermark); // an untracked jump was logged as it was read (event 31)
        }

        loader.DistrustIncrements(MeshRowReader.FullReasons.Gap);
        _pending.Clear();
        var (meshes, max) = await ReadEverythingAsync(cancellationToken);
        _deferred.Loaded(meshes);
        status.Watermark = _position.Watermark;
        logger.FeedLoaded(meshes.Count, max, metrics.Get(XdsMetrics.StreamsWaitedForFirstLoad));
    }

    /// <summary>
    /// Primes the change path once (<see cref="IChangePathPrimer"/>). A failure is logged and counted and the load
    /// goes on: priming only saves the first change some CPU.
    /// </summary>
    private async Task PrimeChangePathAsync(long max, CancellationToken cancellationToken)
    {
        try
        {
            await primer.PrimeAsync(max, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            metrics.Increment(PrimeFailures, PrimeFailuresHelp);
            logger.FeedPrimeFailed(e);
        }
    }

    private const string PrimeFailures = "mesh_xds_feed_prime_failures_total";
    private const string PrimeFailuresHelp = "Start-ups whose change feed could not prime its change path (the first route change paid for it; the log says why).";

    private async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var reader = new ChangeLogReader(db);

        // With incremental loads, the log is read in one repeatable-read transaction whose snapshot the loads then
        // use (pg_export_snapshot), so the rows read are exactly those of the state the log describes.
        await using var transaction = _options.IncrementalLoads
            ? await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken)
            : null;

        // However many writes a mesh saw since the last catch-up (a burst of API calls), it is read once. Only the rows
        // not applied yet are read: those above the position's top and its holes, asked for by number, page by page
        // (ChangeLogPages, the API's read barrier's rule too).
        var changed = new HashSet<MeshKey>();
        var seen = new List<long>();
        var pages = new ChangeLogPages(_position, BatchSize);
        do
        {
            var batch = await metrics.QueryAsync(() => reader.ReadAfterAsync(pages.After, pages.Holes, BatchSize, cancellationToken));
            foreach (var change in batch)
            {
                if (CloudMapChanges.IsCloudMap(change))
                {
                    // A registry change belongs to no mesh: it reaches the meshes whose nodes use its namespace.
                    foreach (var mesh in loader.MeshesUsingNamespace(change.AccountId, change.ParentName))
                    {
                        changed.Add(mesh);
                        _pending.Touch(mesh);
                    }
                }
                else
                {
                    var mesh = new MeshKey(change.AccountId, change.MeshName);
                    changed.Add(mesh);
                    _pending.Add(mesh, new RowKey(change.Kind, change.ParentName, change.Name));
                }

                seen.Add(change.Seq);
                pages.Returned(change.Seq);
            }
        }
        while (pages.NextPage());

        // Who may still fill a hole, read after the rows' snapshot (ChangeLogPosition.EndRead): asked for only when a
        // hole from an earlier catch-up is still missing, so the usual hole, filled by the next catch-up (a transaction
        // that committed a moment after a later one), costs no statement of its own.
        var writers = pages.EarlierHolesMissing ? await metrics.QueryAsync(() => reader.WritersAsync(cancellationToken)) : null;

        // A hole from an earlier catch-up still missing may also be a row pruned before this feed read it, and so may
        // a hole this catch-up opens (the first one after the feed was away for about the retention finds the rows
        // left after the pruned ones): the last number pruned is read then, before any hole is given up (ForgetPruned
        // below), so this catch-up reads everything again, not the next one, which may be a PollInterval away.
        var prunedThrough = pages.EarlierHolesMissing || OpensHoles(seen)
            ? await metrics.QueryAsync(() => reader.PrunedThroughAsync(cancellationToken))
            : 0;

        // A mesh nobody watches is left for later: its changes wait in _deferred, which it leaves only once loaded.
        var load = new HashSet<MeshKey>();
        var deferred = 0;
        foreach (var mesh in changed)
        {
            if (_options.UnwatchedDelay > TimeSpan.Zero && !cache.IsWatched(mesh))
            {
                _deferred.Defer(mesh, _options.UnwatchedDelay);
                deferred++;
            }
            else
            {
                load.Add(mesh);
            }
        }

        load.UnionWith(_deferred.Ready(cache.IsWatched));
        if (deferred > 0)
        {
            metrics.MeshLoadsDeferredBy(deferred);
        }

        string? snapshot = null;
        if (transaction is not null && load.Count > 0)
        {
            (snapshot, var migration) = await metrics.QueryAsync(() => ExportSnapshotAsync(db, cancellationToken));
            if (_migrations.IsNew(migration))
            {
                // A migration may have rewritten rows without logging them: read every mesh whole once.
                loader.DistrustIncrements(MeshRowReader.FullReasons.Schema);
            }
        }

        await LoadAsync(load, snapshot, cancellationToken);
        _deferred.Loaded(load);
        _pending.Loaded(load);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }

        // Recorded as applied only once their meshes are loaded or left in _deferred (which a failed load does not
        // empty): if a load failed (the database went away), the retry reads these changes again instead of
        // skipping them.
        var applied = 0;
        var untracked = false;
        foreach (var seq in seen)
        {
            switch (_position.Read(seq))
            {
                case ChangeLogPosition.ReadResult.New:
                    applied++;
                    break;
                case ChangeLogPosition.ReadResult.NewAfterUntrackedJump:
                    applied++;
                    untracked = true;
                    LogUntrackedJump(logger, seq);
                    break;
            }
        }

        if (untracked || _position.ForgetPruned(prunedThrough))
        {
            await ResyncAsync(untracked ? XdsMetrics.ResyncReasons.UntrackedJump : XdsMetrics.ResyncReasons.Pruned, prunedThrough, cancellationToken);
            return;
        }

        var givenUp = _position.EndRead(writers);
        foreach (var seq in givenUp.Ended)
        {
            // Its transaction ended without committing it (rolled back): it can never come, and nothing is distrusted.
            LogGapEnded(logger, seq);
        }

        foreach (var seq in givenUp.TimedOut)
        {
            logger.GapSkipped(seq, _options.GapTimeout);
        }

        if (givenUp.TimedOut.Count > 0)
        {
            // A change given up on may still commit (a transaction that outlived the gap time-out); the log will not
            // name it again, so only a full read of its mesh would see it.
            loader.DistrustIncrements(MeshRowReader.FullReasons.Gap);
        }

        status.Watermark = _position.Watermark;
        if (applied > 0)
        {
            metrics.FeedApplied(applied);
            logger.FeedApplied(applied, _position.Watermark, load.Count);
        }
    }

    /// <summary>Whether the numbers read above the position's top leave some below them unread: new holes.</summary>
    private bool OpensHoles(List<long> seen)
    {
        var top = _position.Top;
        long above = 0, highest = top;
        foreach (var seq in seen)
        {
            if (seq > top)
            {
                above++;
                highest = Math.Max(highest, seq);
            }
        }

        return highest - top > above;
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "Change feed skipped change {Seq}: the transaction that took its number ended without committing it")]
    private static partial void LogGapEnded(ILogger logger, long seq);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "The change log jumped to {Seq}, past more missing numbers than are tracked; every mesh is read again")]
    private static partial void LogUntrackedJump(ILogger logger, long seq);

    [LoggerMessage(EventId = 32, Level = LogLevel.Warning, Message = "The change feed cannot know which changes it missed (the log is pruned through {PrunedThrough}, the feed had read every number through {Watermark}); every mesh is read again")]
    private static partial void LogPrunedResync(ILogger logger, long prunedThrough, long watermark);

    /// <summary>
    /// Exports the catch-up transaction's snapshot for the loads, and reads the last migration applied in it (one
    /// round trip).
    /// </summary>
    private static async Task<(string Snapshot, string? Migration)> ExportSnapshotAsync(MeshDbContext db, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var command = new NpgsqlCommand(
            $"SELECT pg_export_snapshot(), ({MigrationWatch.LastMigrationSql})", connection, (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    private static async Task<string?> LastMigrationAsync(MeshDbContext db, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand(MigrationWatch.LastMigrationSql, connection);
            return await command.ExecuteScalarAsync(cancellationToken) as string;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// Loads meshes concurrently, up to one per core, each on a database context of its own. Each mesh appears at
    /// most once, and the caller awaits every load before the next catch-up, so one mesh's loads never overlap.
    /// With <paramref name="snapshot"/> (the catch-up's, exported), each reads what the log named for it in that snapshot.
    /// </summary>
    private Task LoadAsync(IReadOnlyCollection<MeshKey> meshes, string? snapshot, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(
            meshes.Select(mesh => (Mesh: mesh, Changes: snapshot is null ? null : _pending.For(mesh, snapshot))).ToList(),
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
            async (load, token) =>
            {
                await using var db = await contexts.CreateDbContextAsync(token);
                await loader.LoadAsync(db, load.Mesh, load.Changes, token);
            });
}
