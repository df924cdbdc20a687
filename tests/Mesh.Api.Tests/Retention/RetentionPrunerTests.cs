using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Mesh.Api.Observability;
using Mesh.Api.Resources;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Persistence;
using Mesh.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Mesh.Api.Tests.Retention;

/// <summary>
/// The retention pruner's rounds on a database of their own, at a fixed time: each table loses the rows older than its
/// retention and keeps the rest, in batches, zero keeps a table forever, and the change log keeps its contract with its
/// followers (the newest row stays; <see cref="ChangeLogRetention.PrunedThroughSetting"/> is raised, never lowered).
/// </summary>
public sealed class RetentionPrunerTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    public async Task InitializeAsync() =>
        // The tests of this class share the database, and run one at a time: each starts from empty tables.
        await ExecuteAsync($"""
            TRUNCATE audit_log, changes, cloud_map_operations, idempotency_records;
            DELETE FROM settings WHERE key = '{ChangeLogRetention.PrunedThroughSetting}';
            """);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task EachTable_LosesTheRowsOlderThanItsRetention_AndKeepsTheNewer()
    {
        await AddAuditAsync(Now.AddDays(-91), Now.AddDays(-90).AddMinutes(-1), Now.AddDays(-89));
        await AddOperationsAsync(Now.AddDays(-100), Now.AddDays(-89));
        await AddChangesAsync(Now.AddDays(-8), Now.AddDays(-6), Now.AddDays(-1));
        await AddTokensAsync(Now.AddHours(-25), Now.AddHours(-23));
        await using var pruner = Pruner();

        var counts = await pruner.PruneAsync(CancellationToken.None);

        pruner.AssertNoFailures();
        Assert.Equal(2, counts[RetentionTable.AuditLog]);
        Assert.Equal(1, counts[RetentionTable.CloudMapOperations]);
        Assert.Equal(1, counts[RetentionTable.ChangeLog]);
        Assert.Equal(1, counts[RetentionTable.IdempotencyRecords]);
        Assert.Equal([Now.AddDays(-89)], await TimesAsync("SELECT at FROM audit_log ORDER BY id"));
        Assert.Equal([Now.AddDays(-89)], await TimesAsync("SELECT created_at FROM cloud_map_operations"));
        Assert.Equal([Now.AddDays(-6), Now.AddDays(-1)], await TimesAsync("SELECT at FROM changes ORDER BY seq"));
        Assert.Equal([Now.AddHours(-23)], await TimesAsync("SELECT created_at FROM idempotency_records"));
    }

    [Fact]
    public async Task ABigPrune_DeletesInBatches_UntilABatchIsNotFull()
    {
        var old = Enumerable.Repeat(Now.AddDays(-200), 10).ToArray();
        await AddAuditAsync([.. old, Now]);
        await AddOperationsAsync([.. old, Now]);
        await AddChangesAsync([.. old, Now]);
        await AddTokensAsync([.. old, Now]);
        await using var pruner = Pruner(batchSize: 3);

        await pruner.PruneAsync(CancellationToken.None);

        foreach (var table in RetentionTable.All)
        {
            Assert.Equal([3, 3, 3, 1], pruner.Batches(table));
            Assert.Equal(1, await CountAsync(table));
        }
    }

    [Fact]
    public async Task Zero_KeepsATableForever()
    {
        var ancient = Now.AddYears(-5);
        await AddAuditAsync(ancient);
        await AddOperationsAsync(ancient);
        await AddChangesAsync(ancient, ancient);
        await AddTokensAsync(ancient);
        await using var pruner = Pruner(new RetentionOptions { AuditLog = TimeSpan.Zero, CloudMapOperations = TimeSpan.Zero, ChangeLog = TimeSpan.Zero });

        var counts = await pruner.PruneAsync(CancellationToken.None);

        Assert.Equal([RetentionTable.IdempotencyRecords], counts.Keys);
        Assert.Equal(1, await CountAsync(RetentionTable.AuditLog));
        Assert.Equal(1, await CountAsync(RetentionTable.CloudMapOperations));
        Assert.Equal(2, await CountAsync(RetentionTable.ChangeLog));
        Assert.Equal(0, await CountAsync(RetentionTable.IdempotencyRecords));
        Assert.Null(await PrunedThroughAsync());
    }

    /// <summary>
    /// A retention longer than the calendar reaches back (a million days, written to mean "for ever") keeps every row:
    /// its cutoff would fall before the year 1, which no row is older than, so it is no failure of the round.
    /// </summary>
    [Fact]
    public async Task ARetentionReachingBeforeTheYear1_KeepsEveryRow_AndIsNoFailure()
    {
        var ancient = Now.AddYears(-5);
        await AddAuditAsync(ancient);
        await AddOperationsAsync(ancient);
        await AddChangesAsync(ancient, ancient);
        var forever = TimeSpan.FromDays(1_000_000);
        await using var pruner = Pruner(new RetentionOptions { AuditLog = forever, CloudMapOperations = forever, ChangeLog = forever });

        var counts = await pruner.PruneAsync(CancellationToken.None);

        pruner.AssertNoFailures();
        Assert.Equal(0, counts[RetentionTable.AuditLog]);
        Assert.Equal(0, counts[RetentionTable.CloudMapOperations]);
        Assert.Equal(0, counts[RetentionTable.ChangeLog]);
        Assert.Equal(1, await CountAsync(RetentionTable.AuditLog));
        Assert.Equal(1, await CountAsync(RetentionTable.CloudMapOperations));
        Assert.Equal(2, await CountAsync(RetentionTable.ChangeLog));
    }

    [Fact]
    public async Task TheNewestChange_IsKept_HoweverOld_AndPrunedThroughNamesTheHighestDeleted()
    {
        var seqs = await AddChangesAsync(Now.AddDays(-30), Now.AddDays(-20), Now.AddDays(-10));
        await using var pruner = Pruner(batchSize: 1);

        var counts = await pruner.PruneAsync(CancellationToken.None);

        Assert.Equal(2, counts[RetentionTable.ChangeLog]);
        Assert.Equal([seqs[2]], await SeqsAsync());
        Assert.Equal(seqs[1], await PrunedThroughAsync());

        // Nothing more to delete: the newest stays, and the setting with it.
        Assert.Equal(0, (await pruner.PruneAsync(CancellationToken.None))[RetentionTable.ChangeLog]);
        Assert.Equal([seqs[2]], await SeqsAsync());
        Assert.Equal(seqs[1], await PrunedThroughAsync());
    }

    [Fact]
    public async Task PrunedThrough_IsNeverLowered()
    {
        var seqs = await AddChangesAsync(Now.AddDays(-30), Now);
        await ExecuteAsync($"INSERT INTO settings (key, value) VALUES ('{ChangeLogRetention.PrunedThroughSetting}', '{seqs[1] + 1000}')");
        await using var pruner = Pruner();

        var counts = await pruner.PruneAsync(CancellationToken.None);

        Assert.Equal(1, counts[RetentionTable.ChangeLog]);
        Assert.Equal(seqs[1] + 1000, await PrunedThroughAsync());
    }

    [Fact]
    public async Task TwoReplicasPruningAtOnce_DeleteEachOldRowOnce_AndKeepTheNewest()
    {
        var seqs = await AddChangesAsync([.. Enumerable.Repeat(Now.AddDays(-30), 300), Now.AddDays(-20)]);
        await AddAuditAsync([.. Enumerable.Repeat(Now.AddDays(-300), 300)]);
        await using var first = Pruner(batchSize: 7);
        await using var second = Pruner(batchSize: 7);

        var counts = await Task.WhenAll(first.PruneAsync(CancellationToken.None), second.PruneAsync(CancellationToken.None));

        Assert.Equal(300, counts.Sum(c => c[RetentionTable.ChangeLog]));
        Assert.Equal(300, counts.Sum(c => c[RetentionTable.AuditLog]));
        Assert.Equal([seqs[^1]], await SeqsAsync());
        Assert.Equal(seqs[^2], await PrunedThroughAsync());
        first.AssertNoFailures();
        second.AssertNoFailures();
    }

    /// <summary>
    /// A row another transaction holds a lock on (a replica pruning the same rows, or a write) is passed over, not waited
    /// for: the round deletes the other old rows and returns while the lock is held, and the next round, after it is
    /// released, deletes that row. Every old row is deleted, and counted, once. A round that waited would not return
    /// before the lock's release (the token only keeps the test from hanging; it is no timing assertion).
    /// </summary>
    [Theory]
    [InlineData(RetentionTable.AuditLog)]
    [InlineData(RetentionTable.ChangeLog)]
    [InlineData(RetentionTable.CloudMapOperations)]
    [InlineData(RetentionTable.IdempotencyRecords)]
    public async Task ARowLockedByAnotherTransaction_IsSkippedNotWaitedFor_AndPrunedOnceReleased(string table)
    {
        var old = Now.AddYears(-1);
        await AddAsync(table, [old, old, old, old, old, Now]);
        await using var pruner = Pruner(batchSize: 2);
        await using var holder = new NpgsqlConnection(database.ConnectionString);
        await holder.OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        // The second row alone (a FOR UPDATE with an OFFSET would lock the rows it passes over too).
        await using (var lockRow = new NpgsqlCommand($"""
            SELECT 1 FROM {table} WHERE ctid = (SELECT ctid FROM {table} ORDER BY ctid OFFSET 1 LIMIT 1) FOR UPDATE
            """, holder, transaction))
        {
            Assert.Equal(1, await lockRow.ExecuteScalarAsync());
        }

        using var hang = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var whileLocked = await pruner.PruneAsync(hang.Token);

        pruner.AssertNoFailures();
        Assert.Equal(4, whileLocked[table]);
        Assert.Equal(2, await CountAsync(table));
        await transaction.RollbackAsync();

        var afterRelease = await pruner.PruneAsync(hang.Token);

        Assert.Equal(1, afterRelease[table]);
        Assert.Equal(1, await CountAsync(table));
        Assert.Equal(5, pruner.Batches(table).Sum());
    }

    /// <summary>
    /// The tables keyed by no order in time are pruned through their index on <c>created_at</c> (migration
    /// RetentionTimeIndexes): on a table of many new rows and a few old ones, the batch's plan reads that index, not
    /// the whole table (a round read every row of it, whatever it deleted).
    /// </summary>
    [Theory]
    [InlineData(RetentionTable.CloudMapOperations)]
    [InlineData(RetentionTable.IdempotencyRecords)]
    public async Task ATableWithoutAnOrderInTime_IsPrunedThroughItsTimeIndex(string table)
    {
        await AddAsync(table, [.. Enumerable.Repeat(Now.AddYears(-1), 10)]);
        var copy = table == RetentionTable.CloudMapOperations
            ? "INSERT INTO cloud_map_operations (id, account_id, type, status, targets, created_at, updated_at) SELECT md5(g::text), '111122223333', 'REGISTER_INSTANCE', 'SUCCESS', '{}', $1 - g * interval '1 second', $1 FROM generate_series(1, 20000) AS g"
            : "INSERT INTO idempotency_records (account_id, client_token, operation, request_hash, created_at) SELECT '111122223333', md5(g::text), 'CreateMesh', 'hash', $1 - g * interval '1 second' FROM generate_series(1, 20000) AS g";
        await ExecuteAsync(copy, Now);
        await ExecuteAsync($"ANALYZE {table}");
        var statement = (table == RetentionTable.CloudMapOperations ? RetainedTable.CloudMapOperations : RetainedTable.IdempotencyRecords).Sql;

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var explain = new NpgsqlCommand($"EXPLAIN (FORMAT JSON) {statement}", connection)
        {
            Parameters =
            {
                new NpgsqlParameter<DateTimeOffset> { TypedValue = DateTimeOffset.MinValue },
                new NpgsqlParameter<int> { TypedValue = RetentionPruner.DefaultBatchSize },
                new NpgsqlParameter<DateTimeOffset> { TypedValue = Now.AddDays(-90) },
            },
        };
        var plan = System.Text.Json.Nodes.JsonNode.Parse((string)(await explain.ExecuteScalarAsync())!)!;
        var scans = Nodes(plan).Where(n => n["Relation Name"]?.GetValue<string>() == table)
            .Select(n => $"{n["Node Type"]} {n["Index Name"]}".Trim()).ToList();

        Assert.Contains($"Index Scan ix_{table}_created_at", scans);
        Assert.DoesNotContain(scans, s => s.StartsWith("Seq Scan", StringComparison.Ordinal) || s.StartsWith("Tid Range Scan", StringComparison.Ordinal));
    }

    /// <summary>Every node of an EXPLAIN (FORMAT JSON) plan.</summary>
    private static IEnumerable<System.Text.Json.Nodes.JsonObject> Nodes(System.Text.Json.Nodes.JsonNode? node) => node switch
    {
        System.Text.Json.Nodes.JsonArray array => array.SelectMany(Nodes),
        System.Text.Json.Nodes.JsonObject obj => [obj, .. obj.Select(member => member.Value).SelectMany(Nodes)],
        _ => [],
    };

    [Fact]
    public async Task ATableThatFails_IsCountedAndLogged_AndTheOthersArePruned()
    {
        await AddAuditAsync(Now.AddDays(-100));
        await AddOperationsAsync(Now.AddDays(-100));
        await using var pruner = Pruner();
        await ExecuteAsync("ALTER TABLE cloud_map_operations RENAME TO cloud_map_operations_away");
        try
        {
            var counts = await pruner.PruneAsync(CancellationToken.None);

            Assert.Equal(1, pruner.FailuresOf(RetentionTable.CloudMapOperations));
            Assert.Equal(1, pruner.Failures);
            Assert.Equal(1, counts[RetentionTable.AuditLog]);
            var warning = Assert.Single(pruner.Log.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
            Assert.Contains("cloud_map_operations", warning.Message, StringComparison.Ordinal);
            Assert.NotNull(warning.Exception);
        }
        finally
        {
            await ExecuteAsync("ALTER TABLE cloud_map_operations_away RENAME TO cloud_map_operations");
        }
    }

    private RunningPruner Pruner(int batchSize = RetentionPruner.DefaultBatchSize) => Pruner(new RetentionOptions(), batchSize);

    private RunningPruner Pruner(RetentionOptions retention, int batchSize = RetentionPruner.DefaultBatchSize) =>
        new(database.ConnectionString, retention, batchSize);

    private Task AddAsync(string table, DateTimeOffset[] times) => table switch
    {
        RetentionTable.AuditLog => AddAuditAsync(times),
        RetentionTable.ChangeLog => AddChangesAsync(times),
        RetentionTable.CloudMapOperations => AddOperationsAsync(times),
        _ => AddTokensAsync(times),
    };

    private async Task AddAuditAsync(params DateTimeOffset[] times)
    {
        foreach (var at in times)
        {
            await ExecuteAsync("""
                INSERT INTO audit_log (at, account_id, access_key_id, action, resource_arn, request_id, status_code, error_code)
                VALUES ($1, '111122223333', 'MKIATEST', 'appmesh:CreateMesh', 'arn:aws:appmesh:us-east-1:111122223333:mesh/m', gen_random_uuid()::text, 200, '')
                """, at);
        }
    }

    private async Task AddOperationsAsync(params DateTimeOffset[] times)
    {
        foreach (var at in times)
        {
            await ExecuteAsync("""
                INSERT INTO cloud_map_operations (id, account_id, type, status, targets, created_at, updated_at)
                VALUES (md5(random()::text), '111122223333', 'REGISTER_INSTANCE', 'SUCCESS', '{}', $1, $1)
                """, at);
        }
    }

    private async Task<long[]> AddChangesAsync(params DateTimeOffset[] times)
    {
        var seqs = new List<long>();
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        foreach (var at in times)
        {
            await using var command = new NpgsqlCommand("""
                INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
                VALUES ('111122223333', 'm', 'virtualNode', '', 'n', 1, 'update', $1) RETURNING seq
                """, connection) { Parameters = { new NpgsqlParameter<DateTimeOffset> { TypedValue = at } } };
            seqs.Add((long)(await command.ExecuteScalarAsync())!);
        }

        return [.. seqs];
    }

    private async Task AddTokensAsync(params DateTimeOffset[] times)
    {
        foreach (var at in times)
        {
            await ExecuteAsync("""
                INSERT INTO idempotency_records (account_id, client_token, operation, request_hash, created_at)
                VALUES ('111122223333', gen_random_uuid()::text, 'CreateMesh', 'hash', $1)
                """, at);
        }
    }

    private async Task<long?> PrunedThroughAsync()
    {
        var value = await ScalarAsync($"SELECT value FROM settings WHERE key = '{ChangeLogRetention.PrunedThroughSetting}'");
        return value is string text ? long.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    private async Task<long> CountAsync(string table) => (long)(await ScalarAsync($"SELECT count(*) FROM {table}"))!;

    private async Task<List<long>> SeqsAsync() => await ListAsync<long>("SELECT seq FROM changes ORDER BY seq");

    private async Task<List<DateTimeOffset>> TimesAsync(string sql) => await ListAsync<DateTimeOffset>(sql);

    private async Task<List<T>> ListAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<T>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private async Task ExecuteAsync(string sql, DateTimeOffset? at = null)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        if (at is { } time)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time });
        }

        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A pruner at <see cref="Now"/> with its own metrics (each batch seen as it is counted) and log.</summary>
    private sealed class RunningPruner : IAsyncDisposable
    {
        private readonly ServiceProvider services;
        private readonly ApiMetrics metrics;
        private readonly MeterListener listener;
        private readonly WriteDatabase writes;
        private readonly RetentionPruner pruner;
        private readonly ConcurrentQueue<(string Instrument, string Table, long Value)> measured = new();

        public RunningPruner(string connectionString, RetentionOptions retention, int batchSize)
        {
            services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            var meterName = TestMeters.UniqueName();
            metrics = new ApiMetrics(services.GetRequiredService<IMeterFactory>(), meterName);
            listener = new MeterListener
            {
                InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name == meterName && instrument.Name.StartsWith("mesh.api.retention.", StringComparison.Ordinal))
                    {
                        l.EnableMeasurementEvents(instrument);
                    }
                },
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "table")
                    {
                        measured.Enqueue((instrument.Name, (string)tag.Value!, value));
                    }
                }
            });
            listener.Start();
            writes = new WriteDatabase(NpgsqlDataSource.Create(connectionString));
            pruner = new RetentionPruner(writes, Options.Create(new MeshApiOptions { Retention = retention }), new FixedClock(Now), metrics,
                Log) { BatchSize = batchSize };
        }

        public CapturingLogger<RetentionPruner> Log { get; } = new();

        public Task<IReadOnlyDictionary<string, long>> PruneAsync(CancellationToken ct) => pruner.PruneAsync(ct);

        /// <summary>The counts of <paramref name="table"/>'s batches, in the order they were counted.</summary>
        public List<long> Batches(string table) =>
            [.. measured.Where(m => m.Instrument == "mesh.api.retention.pruned_rows" && m.Table == table).Select(m => m.Value)];

        public long FailuresOf(string table) => measured.Where(m => m.Instrument == "mesh.api.retention.failures" && m.Table == table).Sum(m => m.Value);

        /// <summary>No failure counted, and none logged (the message shows what was).</summary>
        public void AssertNoFailures()
        {
            var warnings = Log.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning).Select(e => $"{e.Message}: {e.Exception}");
            Assert.True(Failures == 0, string.Join("\n", warnings));
        }

        public long Failures => measured.Where(m => m.Instrument == "mesh.api.retention.failures").Sum(m => m.Value);

        public async ValueTask DisposeAsync()
        {
            listener.Dispose();
            await writes.DisposeAsync();
            metrics.Dispose();
            await services.DisposeAsync();
        }
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
