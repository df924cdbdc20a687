using Mesh.Api.Observability;
using Mesh.Persistence;
using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// What makes a Describe answered from memory (<see cref="KeptAnswers"/>, <c>Mesh:ReadCache</c>) linearizable: before
/// it answers, a Describe waits for a barrier, one read of the change log that starts after the Describe did and
/// applies every row it finds that this process has not applied (each drops its resource's kept answer). A write
/// whose answer was sent before the Describe started, by this replica or any other, committed before the barrier's
/// statement took its snapshot, so its row is either among those applied before or read by the barrier; once the
/// barrier is done, no kept answer is older than that write.
/// </summary>
/// <remarks>
/// <para>
/// <b>Shared.</b> A barrier serves every Describe waiting when it starts: a Describe that arrives while one is in
/// flight cannot use it (its snapshot may be older than a write answered just before the Describe), so it waits for
/// the next, which serves every Describe that arrived meanwhile. With many Describes at once, a barrier's round trip
/// is shared by all of them.
/// </para>
/// <para>
/// <b>Pipelined</b>, when <see cref="ReadCacheOptions.BarriersInFlight"/> is above its default of 1: up to that many
/// barriers' statements may be in flight at once, the next starting as soon as a Describe asks for it rather than when
/// the one ahead ends, so a Describe waits nearer one round trip than one and a half (each barrier then serves fewer
/// Describes: worth it where the round trip, not the CPU, is the bound). Their rows are applied one barrier at
/// a time, in the order they were sent, and a barrier is done only once those ahead of it are applied, so the position
/// changes as a single reader's would (and the first barrier's start of it is made once). What a
/// barrier asks for is taken from the position as it was when it was sent: numbers a barrier ahead of it applies
/// afterwards are simply read again (and seen). PostgreSQL may take the snapshots of overlapping statements in either
/// order; a snapshot taken earlier sees nothing a later one did not, so a barrier applied after one with a later
/// snapshot changes nothing, and the one rule that trusts a later read's snapshot (giving up a hole whose writers
/// have all ended) asks for a read sent after the list of writers that showed it (<see cref="ChangeLogPosition"/>'s
/// tickets).
/// </para>
/// <para>
/// <b>The log is read by the barrier itself</b>, not by a follower beside it: the statement that finds the log's
/// position also returns the rows after it (normally none), so a barrier never waits for another reader to catch up.
/// Which rows are new is <see cref="ChangeLogPosition"/>'s (the xDS server's rule for numbers that commit out of
/// order: a number below the highest read that is missing is a hole, asked for again by number until it is filled or
/// given up), and what each statement asks for is <see cref="ChangeLogPages"/>' (the feed's paging: a page after a
/// full one still asks for the holes above its last row). At the first barrier the position starts
/// <see cref="StartWindow"/> below the log's maximum, as the xDS server's feed starts.
/// </para>
/// <para>
/// <b>A hole is given up</b> as the feed gives it up: exactly, once no transaction that may have taken its number is
/// still writing to the log (<see cref="ChangeLogPosition.EndRead(IReadOnlySet{string}?)"/>, with the writers read from <c>pg_locks</c> only
/// while a hole from an earlier barrier is still missing); such a number never commits, so nothing kept is dropped.
/// A hole whose writer is still running at <see cref="ReadCacheOptions.GapTimeout"/> is given up then, and that drops
/// every kept answer (its row could still commit, and the log would not be asked for it again).
/// </para>
/// <para>
/// <b>A migration</b> may rewrite resources without change-log rows: every statement also reads the last migration
/// applied (<see cref="MigrationWatch"/>, the feed's check), and a new one drops every kept answer.
/// </para>
/// <para>
/// <b>A barrier that fails</b> (the database away, a statement refused) answers no Describe from memory: each falls
/// back to reading PostgreSQL as without the cache, and keeps nothing; the failure is logged once per barrier and
/// counted. A failed barrier changes nothing it has not applied, so the next one reads on from where the last
/// succeeded.
/// </para>
/// </remarks>
public sealed partial class ReadBarrier(ReadDatabase reads, KeptAnswers answers, ChangeLogPosition position, ApiMetrics metrics,
    ILogger<ReadBarrier> logger, int inFlightLimit = ReadCacheOptions.DefaultBarriersInFlight)
{
    /// <summary>Numbers below the log's maximum at the first barrier that may still be in flight (the xDS server's <c>StartWindow</c>).</summary>
    public const long StartWindow = 256;

    /// <summary>Rows read per statement (the statements' LIMIT); a barrier reads on until a statement returns fewer.</summary>
    public const int BatchSize = 1000;

    // A page of the log's rows (ChangeLogPages: above the top, or its holes by number), oldest first, and, in a row of
    // its own after them (seq null), the last migration applied and the last change-log number pruned
    // (ChangeLogRetention): read in the same statement, so a barrier stays one statement (and one snapshot) however
    // often it checks, and a number the page finds missing because it was pruned is known as such by the same barrier.
    // The page is ChangeLogPageSql's, the feed's statement too: planned once per connection, not on every barrier.
    private const string Columns = "seq, account_id, mesh_name, kind, parent_name, name, NULL::text AS migration, NULL::bigint AS pruned_through";
    private const string LastMigration =
        $"SELECT NULL::bigint AS seq, NULL, NULL, NULL, NULL, NULL, ({MigrationWatch.LastMigrationSql}) AS migration, ({ChangeLogRetention.PrunedThroughSql}) AS pruned_through";
    private static readonly string AfterTop = $"{LastMigration} UNION ALL ({ChangeLogPageSql.AfterTop(Columns, "$1", BatchSize)}) ORDER BY seq";
    private static readonly string AfterTopOrHoles = $"{LastMigration} UNION ALL ({ChangeLogPageSql.AfterTopOrHoles(Columns, "$1", "$2", BatchSize)}) ORDER BY seq";
    // The log's maximum and the last number pruned (ChangeLogRetention): the position starts at neither's left.
    private const string Maximum = $"SELECT coalesce(max(seq), 0), ({ChangeLogRetention.PrunedThroughSql}) FROM changes";

    private readonly MigrationWatch migrations = new();

    private readonly int limit = inFlightLimit >= 1 ? inFlightLimit : throw new ArgumentOutOfRangeException(nameof(inFlightLimit));

    // Guards the position (read when a barrier is sent, changed when one is applied) and the three fields below.
    private readonly Lock gate = new();

    // The barrier the Describes arriving now wait for, not sent yet (null when none has been asked for).
    private Barrier? pending;

    // Barriers sent and not yet applied.
    private int inFlight;

    // Done once the last barrier sent has been applied (or has failed): where the next one sent waits its turn.
    private Task lastApplied = Task.CompletedTask;

    /// <summary>How many barriers have read the log (for tests and benchmarks).</summary>
    public long Count => Interlocked.Read(ref count);

    private long count;

    /// <summary>How many barriers have been sent and not yet applied (for tests).</summary>
    public int InFlight
    {
        get
        {
            lock (gate)
            {
                return inFlight;
            }
        }
    }

    /// <summary>How many barriers failed (for tests).</summary>
    public long Failures => Interlocked.Read(ref failures);

    private long failures;

    /// <summary>How many barriers read the list of transactions that may still fill a hole (for tests and benchmarks).</summary>
    public long WriterLists => Interlocked.Read(ref writerLists);

    private long writerLists;

    /// <summary>The highest change-log number read (for tests: read while no barrier runs).</summary>
    public long Top => position.Top;

    /// <summary>The change-log numbers below <see cref="Top"/> not read yet (for tests: read while no barrier runs).</summary>
    public IReadOnlyCollection<long> Holes => [.. position.Holes];

    /// <summary>
    /// Waits for a barrier that starts after this call, and returns <see cref="KeptAnswers.Epoch"/> as it left it
    /// (what an answer read from PostgreSQL after it is kept under), or null when the barrier failed: then nothing
    /// may be answered from memory or kept.
    /// </summary>
    public async Task<long?> PassAsync()
    {
        Barrier barrier;
        Barrier? send;
        lock (gate)
        {
            barrier = pending ??= new Barrier();
            send = inFlight < limit ? SendPendingLocked() : null;
        }

        if (send is not null)
        {
            _ = RunAsync(send);
        }

        // Not raced against the call's token: the read runs inside ReadRace, which answers the caller at its deadline.
        try
        {
            await barrier.Done.Task;
        }
        catch (Exception)
        {
            return null; // logged and counted once, by the barrier
        }

        return answers.Epoch;
    }

    /// <summary>
    /// Takes the pending barrier to send: from now on, Describes that arrive wait for another. What it asks for is
    /// taken here, from the position as the barriers applied so far left it.
    /// </summary>
    private Barrier SendPendingLocked()
    {
        var barrier = pending!;
        pending = null;
        inFlight++;
        barrier.Ahead = lastApplied;
        lastApplied = barrier.Applied.Task;
        if (position.Started)
        {
            barrier.Begin(position);
        }

        return barrier;
    }

    /// <summary>Runs <paramref name="first"/>, then each barrier that was asked for and could not be sent meanwhile.</summary>
    private async Task RunAsync(Barrier first)
    {
        var barrier = first;
        while (barrier is not null)
        {
            Interlocked.Increment(ref count);
            try
            {
                // The first page is read at once; applying it waits for the barriers ahead.
                var page = barrier.Pages is null ? null : ReadPageAsync(barrier.Pages);
                await barrier.Ahead;
                await ApplyLogAsync(barrier, page);
                barrier.Done.TrySetResult();
            }
            catch (Exception error)
            {
                Interlocked.Increment(ref failures);
                metrics.ReadBarrierFailed();
                LogBarrierFailed(logger, error);
                barrier.Done.TrySetException(error);
                _ = barrier.Done.Task.Exception; // observed: every waiter falls back, and a waiter that gave up does not see it
            }

            barrier.Applied.TrySetResult();
            lock (gate)
            {
                inFlight--;
                barrier = pending is not null ? SendPendingLocked() : null;
            }
        }
    }

    /// <summary>Applies the log's rows this process has not applied: <paramref name="firstPage"/>, then as many pages as follow it.</summary>
    private async Task ApplyLogAsync(Barrier barrier, Task<List<LogRow>>? firstPage)
    {
        if (barrier.Pages is null)
        {
            // Sent before the position started: the first barrier, and any sent before it was applied.
            await StartAsync();
            lock (gate)
            {
                barrier.Begin(position);
            }

            firstPage = ReadPageAsync(barrier.Pages!);
        }

        var pages = barrier.Pages!;
        var page = await firstPage!;
        long prunedThrough = 0;
        while (true)
        {
            lock (gate)
            {
                prunedThrough = Math.Max(prunedThrough, Apply(page, pages));
            }

            if (!pages.NextPage())
            {
                break;
            }

            page = await ReadPageAsync(pages);
        }

        // Who may still fill a hole, read after the last page's snapshot: only while a hole this barrier was sent with
        // is still missing, so the usual hole (a write that committed a moment after a later one, read by the next
        // barrier) costs no statement of its own.
        bool earlierHolesMissing;
        lock (gate)
        {
            // Asked of the position, not counted from this barrier's rows: a barrier applied ahead of it may have filled some.
            earlierHolesMissing = pages.StartHoles.Any(position.IsHole);
        }

        var writers = earlierHolesMissing ? await WritersAsync() : null;
        ChangeLogPosition.GivenUp givenUp;
        bool missed;
        lock (gate)
        {
            // Before any hole is given up: one at or below the last number pruned may have been a committed row. Every
            // barrier checks, not only one with a hole from an earlier barrier: the first barrier of an API that read no
            // log for about Mesh:Retention:ChangeLog (no Describe came) finds the pruned numbers as new holes, and its
            // Describes must not be answered what was kept before them.
            missed = position.ForgetPruned(prunedThrough);
            givenUp = position.EndRead(writers, barrier.Sent, writersRead: position.NextTicket());
        }

        if (missed)
        {
            // Rows this process had not applied were pruned (it was cut off from the database for about
            // Mesh:Retention:ChangeLog): which resources they named is gone, so nothing kept can be trusted.
            answers.DropAll();
            metrics.ReadCachePrunedUnread();
            LogPrunedUnread(logger, prunedThrough);
        }

        if (givenUp.Ended.Count > 0)
        {
            // Their transactions ended without committing them: those rows never come, and nothing kept is stale.
            LogGapsEnded(logger, givenUp.Ended.Count, givenUp.Ended[0]);
        }

        if (givenUp.TimedOut.Count > 0)
        {
            // A transaction that outlived the time-out could still commit a row the log will not be asked for again:
            // nothing kept now can be trusted to see it, so everything is read again from PostgreSQL.
            answers.DropAll();
            metrics.ReadCacheGapsGivenUp(givenUp.TimedOut.Count);
            LogGapsGivenUp(logger, givenUp.TimedOut.Count);
        }
    }

    /// <summary>Starts the position <see cref="StartWindow"/> below the log's maximum, unless a barrier ahead already did.</summary>
    private async Task StartAsync()
    {
        if (position.Started)
        {
            return; // only the barrier being applied starts it, so no other can between this check and the start
        }

        metrics.ReadBarrierStatementRan(ReadBarrierStatement.Maximum);
        await using var maximum = reads.Command(Maximum);
        await using var reader = await maximum.ExecuteReaderAsync();
        await reader.ReadAsync();
        var (top, prunedThrough) = (reader.GetInt64(0), reader.GetInt64(1));
        lock (gate)
        {
            // Pruned numbers are gone, not holes: the Describes read from now on see what they changed.
            position.Start(Math.Max(top - StartWindow, Math.Min(prunedThrough, top)));
        }
    }

    /// <summary>One page of the log: what <paramref name="pages"/> asks for now, and the last migration, in one statement.</summary>
    private async Task<List<LogRow>> ReadPageAsync(ChangeLogPages pages)
    {
        metrics.ReadBarrierStatementRan(ReadBarrierStatement.Page);
        await using var command = reads.Command(pages.Holes.Length == 0 ? AfterTop : AfterTopOrHoles);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = pages.After });
        if (pages.Holes.Length > 0)
        {
            command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = pages.Holes });
        }

        var rows = new List<LogRow>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.IsDBNull(0)
                ? new LogRow(null, "", "", "", "", "", reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetInt64(7))
                : new LogRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), null, 0));
        }

        return rows;
    }

    /// <summary>
    /// Applies one page's rows (under the gate): each not applied before drops its resource's kept answer. Returns the
    /// last change-log number pruned, as the page read it.
    /// </summary>
    private long Apply(List<LogRow> page, ChangeLogPages pages)
    {
        long prunedThrough = 0;
        foreach (var row in page)
        {
            if (row.Seq is not { } seq)
            {
                ApplyMigration(row.Migration);
                prunedThrough = row.PrunedThrough;
                continue;
            }

            pages.Returned(seq);
            switch (position.Read(seq))
            {
                case ChangeLogPosition.ReadResult.New:
                    answers.Drop(row.AccountId, row.MeshName, row.Kind, row.ParentName, row.Name);
                    break;
                case ChangeLogPosition.ReadResult.NewAfterUntrackedJump:
                    answers.DropAll();
                    LogUntrackedJump(logger, seq);
                    break;
            }
        }

        return prunedThrough;
    }

    /// <summary>The transactions that may still take or fill a change-log number (<see cref="ChangeLogReader.WritersSql"/>).</summary>
    private async Task<HashSet<string>> WritersAsync()
    {
        Interlocked.Increment(ref writerLists);
        metrics.ReadBarrierStatementRan(ReadBarrierStatement.Writers);
        var writers = new HashSet<string>(StringComparer.Ordinal);
        await using var command = reads.Command(ChangeLogReader.WritersSql);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            writers.Add(reader.GetString(0));
        }

        return writers;
    }

    /// <summary>A migration applied since the last barrier may have rewritten resources without change-log rows: nothing kept is trusted.</summary>
    private void ApplyMigration(string? migration)
    {
        if (migrations.IsNew(migration))
        {
            answers.DropAll();
            metrics.ReadCacheMigrationSeen();
            LogMigrationSeen(logger, migration ?? "(none)");
        }
    }

    /// <summary>One barrier: the Describes waiting for it, what it asks the log for, and its place in the order of applying.</summary>
    private sealed class Barrier
    {
        /// <summary>Done when its rows are applied (every Describe waiting for it may answer), failed when it could not read the log.</summary>
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Done when it has been applied or has failed: the barrier sent after it applies after this.</summary>
        public TaskCompletionSource Applied { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The barrier sent before it, applied (or failed) when this is done.</summary>
        public Task Ahead { get; set; } = Task.CompletedTask;

        /// <summary>What its statements ask for; null until the position has started.</summary>
        public ChangeLogPages? Pages { get; private set; }

        /// <summary>The position's ticket taken when it was sent (before its first statement).</summary>
        public long Sent { get; private set; }

        /// <summary>Takes what it asks for from <paramref name="position"/> as it is now (under the barrier's gate).</summary>
        public void Begin(ChangeLogPosition position)
        {
            Pages = new ChangeLogPages(position, BatchSize);
            Sent = position.NextTicket();
        }
    }

    /// <summary>
    /// A change-log row as a page returned it, or (no <see cref="Seq"/>) the page's row for the last migration and the
    /// last change-log number pruned.
    /// </summary>
    private readonly record struct LogRow(long? Seq, string AccountId, string MeshName, string Kind, string ParentName, string Name, string? Migration, long PrunedThrough);

    [LoggerMessage(EventId = 42, Level = LogLevel.Warning, Message = "A read barrier could not read the change log; the Describes waiting for it read PostgreSQL instead")]
    private static partial void LogBarrierFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 43, Level = LogLevel.Warning, Message = "{Count} change-log numbers stayed missing past Mesh:ReadCache:GapTimeout and were given up; every kept Describe answer was dropped")]
    private static partial void LogGapsGivenUp(ILogger logger, int count);

    [LoggerMessage(EventId = 44, Level = LogLevel.Warning, Message = "The change log jumped to {Seq}, past more missing numbers than are tracked; every kept Describe answer was dropped")]
    private static partial void LogUntrackedJump(ILogger logger, long seq);

    [LoggerMessage(EventId = 45, Level = LogLevel.Information, Message = "{Count} change-log numbers (the lowest {Seq}) were given up: the transactions that took them ended without committing them; no kept Describe answer was dropped")]
    private static partial void LogGapsEnded(ILogger logger, int count, long seq);

    [LoggerMessage(EventId = 50, Level = LogLevel.Warning, Message = "Change-log rows this API had not read were pruned (the log is pruned through {PrunedThrough}); every kept Describe answer was dropped")]
    private static partial void LogPrunedUnread(ILogger logger, long prunedThrough);

    [LoggerMessage(EventId = 46, Level = LogLevel.Warning, Message = "A migration was applied since the last read barrier (now the last is {Migration}); it may have rewritten resources without change-log rows, so every kept Describe answer was dropped")]
    private static partial void LogMigrationSeen(ILogger logger, string migration);
}
