using Mesh.Migrations;
using Mesh.Testing;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;

namespace Mesh.Persistence.Tests;

public sealed class MigrationTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task FixtureDatabase_HasEveryMigrationApplied()
    {
        var applied = await MeshMigrator.GetAppliedAsync(database.ConnectionString, CancellationToken.None);
        var again = await MeshMigrator.MigrateAsync(database.ConnectionString, CancellationToken.None);

        Assert.Contains(applied, id => id.EndsWith("_InitialCreate", StringComparison.Ordinal));
        Assert.Empty(again);
    }

    [Fact]
    public async Task Migrate_OnEmptyDatabase_AppliesAllInOrder()
    {
        var admin = database.Server.ConnectionString;
        var name = $"mesh_empty_{Guid.NewGuid():N}";
        await ExecuteAsync(admin, $"CREATE DATABASE \"{name}\"");
        var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
        try
        {
            var applied = await MeshMigrator.MigrateAsync(connectionString, CancellationToken.None);

            Assert.NotEmpty(applied);
            Assert.Equal(applied.Order(StringComparer.Ordinal), applied);
            Assert.Equal(applied, await MeshMigrator.GetAppliedAsync(connectionString, CancellationToken.None));
        }
        finally
        {
            await database.Server.DropDatabaseAsync(connectionString);
        }
    }

    [Fact]
    public async Task SchemaCheck_NamesAFunctionTheApiCalls_WhenItIsMissing()
    {
        var connectionString = await database.Server.CreateDatabaseAsync();
        try
        {
            await using (var migrated = new MeshDbContext(MeshDbContextOptions.Create(connectionString)))
            {
                Assert.Empty(await SchemaCheck.MissingAsync(migrated, CancellationToken.None));
            }

            await ExecuteAsync(connectionString, "DROP FUNCTION mesh_count_created");

            await using var behind = new MeshDbContext(MeshDbContextOptions.Create(connectionString));
            var missing = await SchemaCheck.MissingAsync(behind, CancellationToken.None);

            Assert.Equal(["mesh_count_created()"], missing);
            Assert.Contains("missing mesh_count_created()", SchemaCheck.Describe(missing), StringComparison.Ordinal);
        }
        finally
        {
            await database.Server.DropDatabaseAsync(connectionString);
        }
    }

    [Fact]
    public async Task SchemaCheck_NamesTheReferenceKeyFunction_WhenItIsMissing()
    {
        // mesh_refs keys the in-use index (migration MeshQualifiedRefs); the API's delete calls it by name.
        var connectionString = await database.Server.CreateDatabaseAsync();
        try
        {
            await ExecuteAsync(connectionString, "DROP FUNCTION mesh_refs CASCADE");

            await using var behind = new MeshDbContext(MeshDbContextOptions.Create(connectionString));
            var missing = await SchemaCheck.MissingAsync(behind, CancellationToken.None);

            Assert.Equal(["mesh_refs()"], missing);
        }
        finally
        {
            await database.Server.DropDatabaseAsync(connectionString);
        }
    }

    [Theory]
    [InlineData("mesh_create_resource")]
    [InlineData("mesh_update_resource")]
    [InlineData("mesh_delete_resource")]
    [InlineData("mesh_claim_token")]
    [InlineData("mesh_lock_needed")]
    public async Task SchemaCheck_NamesAWriteFunction_WhenItIsMissing(string function)
    {
        // Every resource write is one call of a write function (migration WriteFunctions), which calls the others.
        var connectionString = await database.Server.CreateDatabaseAsync();
        try
        {
            await ExecuteAsync(connectionString, $"DROP FUNCTION {function}");

            await using var behind = new MeshDbContext(MeshDbContextOptions.Create(connectionString));
            var missing = await SchemaCheck.MissingAsync(behind, CancellationToken.None);

            Assert.Equal([function + "()"], missing);
        }
        finally
        {
            await database.Server.DropDatabaseAsync(connectionString);
        }
    }

    [Fact]
    public async Task FewerStatementsPerWrite_GoesDownToTheEarlierFunctionsAndUpAgain()
    {
        // The migration's down puts back the functions DeleteReturnsTheRow left (their text is kept as constants), and
        // its up applies to a database at that migration, as an existing installation is.
        var connectionString = await database.Server.CreateDatabaseAsync();
        try
        {
            await using var context = new MeshDbContext(MeshDbContextOptions.Create(connectionString));
            var migrator = context.GetService<IMigrator>();
            Assert.Equal(1, await CountAsync(connectionString, "mesh_create_resource", "WITH need AS"));

            await migrator.MigrateAsync("20261201001000_DeleteReturnsTheRow");
            Assert.Equal(0, await CountAsync(connectionString, "mesh_create_resource", "WITH need AS"));
            Assert.Equal(0, await CountAsync(connectionString, "mesh_count_created", "RETURNING (SELECT sum"));
            Assert.DoesNotContain("WHEN", await ScalarAsync(connectionString,
                "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'changes_notify'"), StringComparison.Ordinal);

            await migrator.MigrateAsync("20261201020000_FewerStatementsPerWrite");
            Assert.Equal(1, await CountAsync(connectionString, "mesh_create_resource", "WITH need AS"));
            Assert.Equal(1, await CountAsync(connectionString, "mesh_count_created", "RETURNING (SELECT sum"));
            Assert.Contains("WHEN", await ScalarAsync(connectionString,
                "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'changes_notify'"), StringComparison.Ordinal);
            // The later migrations too: the model's schema is the last migration's.
            await migrator.MigrateAsync();
            await using var again = new MeshDbContext(MeshDbContextOptions.Create(connectionString));
            Assert.Empty(await SchemaCheck.MissingAsync(again, CancellationToken.None));
        }
        finally
        {
            await database.Server.DropDatabaseAsync(connectionString);
        }
    }

    [Fact]
    public async Task UpdateWithoutRowLock_GoesDownToTheLockedReadAndUpAgain()
    {
        var connectionString = await database.Server.CreateDatabaseAsync();
        try
        {
            await using var context = new MeshDbContext(MeshDbContextOptions.Create(connectionString));
            var migrator = context.GetService<IMigrator>();
            // Up: the UPDATE names the version read; the locked read is left only on the lost race's path.
            Assert.Equal(1, await CountAsync(connectionString, "mesh_update_resource", "AND version = target.version"));
            Assert.Equal(1, await CountAsync(connectionString, "mesh_update_resource", "FOR NO KEY UPDATE"));

            await migrator.MigrateAsync("20261201040000_IdempotencyRecordFacts");
            Assert.Equal(0, await CountAsync(connectionString, "mesh_update_resource", "AND version = target.version"));
            Assert.Equal(1, await CountAsync(connectionString, "mesh_update_resource", "FOR NO KEY UPDATE"));
            Assert.Equal("force_generic_plan", await ScalarAsync(connectionString,
                "SELECT split_part(proconfig[1], '=', 2) FROM pg_proc WHERE proname = 'mesh_update_resource'"));

            await migrator.MigrateAsync();
            Assert.Equal(1, await CountAsync(connectionString, "mesh_update_resource", "AND version = target.version"));
            Assert.Equal("force_generic_plan", await ScalarAsync(connectionString,
                "SELECT split_part(proconfig[1], '=', 2) FROM pg_proc WHERE proname = 'mesh_update_resource'"));
        }
        finally
        {
            await database.Server.DropDatabaseAsync(connectionString);
        }
    }

    [Fact]
    public async Task IdempotencyRecordFacts_GoesDownToTheStoredAnswersAndUpAgain()
    {
        // Down: the records without an answer (written since) are deleted, those with one kept, and the claim stores the
        // answer again; up applies to a database at AuditTimeBrin, as an existing installation is.
        var connectionString = await database.Server.CreateDatabaseAsync();
        try
        {
            await using var context = new MeshDbContext(MeshDbContextOptions.Create(connectionString));
            var migrator = context.GetService<IMigrator>();
            Assert.Equal(1, await CountAsync(connectionString, "mesh_claim_token", "OUT o_resource_created_at"));
            await ExecuteAsync(connectionString, """
                INSERT INTO idempotency_records (account_id, client_token, operation, request_hash, created_at, uid, version)
                VALUES ('111122223333', 'kept-values', 'CreateVirtualNode', 'h', now(), gen_random_uuid(), 1);
                INSERT INTO idempotency_records (account_id, client_token, operation, request_hash, response, created_at)
                VALUES ('111122223333', 'kept-answer', 'CreateVirtualNode', 'h', '{}', now());
                """);

            await migrator.MigrateAsync("20261201031000_AuditTimeBrin");
            Assert.Equal(0, await CountAsync(connectionString, "mesh_claim_token", "OUT o_resource_created_at"));
            Assert.Equal(1, await CountAsync(connectionString, "mesh_claim_token", "p_response text"));
            Assert.Equal("kept-answer", await ScalarAsync(connectionString, "SELECT string_agg(client_token, ',') FROM idempotency_records"));
            Assert.Equal("NO", await ScalarAsync(connectionString,
                "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'idempotency_records' AND column_name = 'response'"));

            await migrator.MigrateAsync("20261201040000_IdempotencyRecordFacts");
            Assert.Equal(1, await CountAsync(connectionString, "mesh_claim_token", "OUT o_resource_created_at"));
            Assert.Equal("YES", await ScalarAsync(connectionString,
                "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'idempotency_records' AND column_name = 'response'"));
            await using var again = new MeshDbContext(MeshDbContextOptions.Create(connectionString));
            Assert.Empty(await SchemaCheck.MissingAsync(again, CancellationToken.None));
        }
        finally
        {
            await database.Server.DropDatabaseAsync(connectionString);
        }
    }

    [Fact]
    public async Task ArnFoundByIdentity_DropsTheArnIndex_AndItsDownPutsItBack()
    {
        var connectionString = await database.Server.CreateDatabaseAsync();
        try
        {
            await using var context = new MeshDbContext(MeshDbContextOptions.Create(connectionString));
            var migrator = context.GetService<IMigrator>();
            Assert.Equal("", await IndexAsync(connectionString, "ux_resources_arn"));

            await migrator.MigrateAsync("20261201020000_FewerStatementsPerWrite");
            Assert.Equal("CREATE UNIQUE INDEX ux_resources_arn ON public.resources USING btree (arn)", await IndexAsync(connectionString, "ux_resources_arn"));

            await migrator.MigrateAsync("20261201030000_ArnFoundByIdentity");
            Assert.Equal("", await IndexAsync(connectionString, "ux_resources_arn"));
        }
        finally
        {
            await database.Server.DropDatabaseAsync(connectionString);
        }
    }

    [Fact]
    public async Task AuditTimeBrin_MakesTheTimeIndexBrin_AndItsDownPutsTheBtreeBack()
    {
        var connectionString = await database.Server.CreateDatabaseAsync();
        try
        {
            await using var context = new MeshDbContext(MeshDbContextOptions.Create(connectionString));
            var migrator = context.GetService<IMigrator>();
            const string brin = "CREATE INDEX ix_audit_log_at ON public.audit_log USING brin (at) WITH (autosummarize='true', pages_per_range='32')";
            Assert.Equal(brin, await IndexAsync(connectionString, "ix_audit_log_at"));

            await migrator.MigrateAsync("20261201030000_ArnFoundByIdentity");
            Assert.Equal("CREATE INDEX ix_audit_log_at ON public.audit_log USING btree (at)", await IndexAsync(connectionString, "ix_audit_log_at"));

            await migrator.MigrateAsync("20261201031000_AuditTimeBrin");
            Assert.Equal(brin, await IndexAsync(connectionString, "ix_audit_log_at"));
        }
        finally
        {
            await database.Server.DropDatabaseAsync(connectionString);
        }
    }

    [Fact]
    public async Task ClaimWithoutSpeculativeInsert_ClaimsWithAPlainInsert_AndItsDownPutsTheOnConflictInsertBack()
    {
        var connectionString = await database.Server.CreateDatabaseAsync();
        try
        {
            await using var context = new MeshDbContext(MeshDbContextOptions.Create(connectionString));
            var migrator = context.GetService<IMigrator>();
            Assert.Equal(0, await CountAsync(connectionString, "mesh_claim_token", "ON CONFLICT"));
            Assert.Equal(1, await CountAsync(connectionString, "mesh_claim_token", "WHERE NOT EXISTS"));

            await migrator.MigrateAsync("20261201041000_UpdateWithoutRowLock");
            Assert.Equal(1, await CountAsync(connectionString, "mesh_claim_token", "ON CONFLICT"));
            Assert.Equal(0, await CountAsync(connectionString, "mesh_claim_token", "WHERE NOT EXISTS"));

            await migrator.MigrateAsync("20261201051000_ClaimWithoutSpeculativeInsert");
            Assert.Equal(0, await CountAsync(connectionString, "mesh_claim_token", "ON CONFLICT"));
            Assert.Equal(1, await CountAsync(connectionString, "mesh_claim_token", "WHERE NOT EXISTS"));
        }
        finally
        {
            await database.Server.DropDatabaseAsync(connectionString);
        }
    }

    /// <summary>
    /// ANALYZE keeps no statistics of resources.spec and resources.tags (no plan reads them; sorting the jsonb sample was
    /// a tenth of PostgreSQL's CPU under the API's deletes, docs/benchmarks.md, issue14av), and still keeps the other
    /// columns'. The migration's down gives both back the default target, and its up applies again.
    /// </summary>
    [Fact]
    public async Task NoStatisticsOfSpecAndTags_AnalyzeSkipsBoth_AndItsDownPutsTheDefaultBack()
    {
        var connectionString = await database.Server.CreateDatabaseAsync();
        try
        {
            await using var context = new MeshDbContext(MeshDbContextOptions.Create(connectionString));
            var migrator = context.GetService<IMigrator>();
            await ExecuteAsync(connectionString, """
                INSERT INTO resources (account_id, mesh_name, kind, parent_name, name, arn, uid, version, spec, tags, refs, resource_owner, created_at, last_updated_at)
                SELECT '111122223333', 'm', 'virtualNode', '', 'n' || i, 'arn:' || i, gen_random_uuid(), 1,
                       jsonb_build_object('listeners', jsonb_build_array(i)), jsonb_build_array(jsonb_build_object('key', 'k', 'value', i::text)),
                       '{}', '111122223333', now(), now()
                FROM generate_series(1, 50) AS i
                """);
            Assert.Equal("spec:0,tags:0", await TargetsAsync(connectionString));
            Assert.Equal("arn,name", await AnalyzedAsync(connectionString));

            await migrator.MigrateAsync("20261201051000_ClaimWithoutSpeculativeInsert");
            Assert.Equal("spec:-1,tags:-1", await TargetsAsync(connectionString));
            Assert.Equal("arn,name,spec,tags", await AnalyzedAsync(connectionString));

            await migrator.MigrateAsync("20261202010000_NoStatisticsOfSpecAndTags");
            Assert.Equal("spec:0,tags:0", await TargetsAsync(connectionString));
        }
        finally
        {
            await database.Server.DropDatabaseAsync(connectionString);
        }

        static Task<string> TargetsAsync(string connectionString) => ScalarAsync(connectionString, """
            SELECT string_agg(attname || ':' || coalesce(attstattarget, -1), ',' ORDER BY attname) FROM pg_attribute
            WHERE attrelid = 'resources'::regclass AND attname IN ('spec', 'tags')
            """);

        // Which of four columns the last ANALYZE kept statistics of (it runs first).
        static async Task<string> AnalyzedAsync(string connectionString)
        {
            await ExecuteAsync(connectionString, "ANALYZE resources");
            return await ScalarAsync(connectionString, """
                SELECT coalesce(string_agg(attname::text, ',' ORDER BY attname), '') FROM pg_stats
                WHERE schemaname = current_schema() AND tablename = 'resources' AND attname IN ('arn', 'name', 'spec', 'tags')
                """);
        }
    }

    /// <summary>
    /// ANALYZE keeps statistics of only the write logs' columns a statement filters, joins or sorts by (changes: seq;
    /// audit_log: id, at, account_id; idempotency_records: its key and created_at), no longer of the others
    /// (docs/benchmarks.md, issue14ax), nor of audit_log.request_id, which one statement filters by but whose estimate
    /// cannot change its plan (NoStatisticsOfAuditRequestId, issue14az). Each migration's down gives its columns back
    /// the default target, and their ups apply again.
    /// </summary>
    [Fact]
    public async Task NoStatisticsOfLogColumns_AnalyzeKeepsOnlyWhatPlansRead_AndEachDownPutsItsColumnsBack()
    {
        const string Kept = "audit_log.account_id,audit_log.at,audit_log.id,changes.seq,"
            + "idempotency_records.account_id,idempotency_records.client_token,idempotency_records.created_at";
        const string KeptWithRequestId = "audit_log.account_id,audit_log.at,audit_log.id,audit_log.request_id,changes.seq,"
            + "idempotency_records.account_id,idempotency_records.client_token,idempotency_records.created_at";
        const string All = "audit_log.access_key_id,audit_log.account_id,audit_log.action,audit_log.at,audit_log.error_code,"
            + "audit_log.id,audit_log.message,audit_log.request_id,audit_log.resource_arn,audit_log.source_address,audit_log.status_code,"
            + "changes.account_id,changes.at,changes.kind,changes.mesh_name,changes.name,changes.operation,changes.parent_name,"
            + "changes.seq,changes.version,idempotency_records.account_id,idempotency_records.client_token,"
            + "idempotency_records.created_at,idempotency_records.operation,idempotency_records.request_hash,"
            + "idempotency_records.resource_created_at,idempotency_records.response,idempotency_records.uid,idempotency_records.version";
        const string OffButRequestId = "audit_log.access_key_id:0,audit_log.action:0,audit_log.error_code:0,audit_log.message:0,audit_log.resource_arn:0,"
            + "audit_log.source_address:0,audit_log.status_code:0,changes.account_id:0,changes.at:0,changes.kind:0,changes.mesh_name:0,"
            + "changes.name:0,changes.operation:0,changes.parent_name:0,changes.version:0,idempotency_records.operation:0,"
            + "idempotency_records.request_hash:0,idempotency_records.resource_created_at:0,idempotency_records.response:0,"
            + "idempotency_records.uid:0,idempotency_records.version:0";
        const string Off = "audit_log.access_key_id:0,audit_log.action:0,audit_log.error_code:0,audit_log.message:0,audit_log.request_id:0,"
            + "audit_log.resource_arn:0,audit_log.source_address:0,audit_log.status_code:0,changes.account_id:0,changes.at:0,changes.kind:0,"
            + "changes.mesh_name:0,changes.name:0,changes.operation:0,changes.parent_name:0,changes.version:0,idempotency_records.operation:0,"
            + "idempotency_records.request_hash:0,idempotency_records.resource_created_at:0,idempotency_records.response:0,"
            + "idempotency_records.uid:0,idempotency_records.version:0";
        var connectionString = await database.Server.CreateDatabaseAsync();
        try
        {
            await using var context = new MeshDbContext(MeshDbContextOptions.Create(connectionString));
            var migrator = context.GetService<IMigrator>();
            await ExecuteAsync(connectionString, """
                INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
                SELECT '111122223333', 'm', 'virtualNode', '', 'n' || i, 1, 'create', now() FROM generate_series(1, 50) AS i;
                INSERT INTO audit_log (at, account_id, access_key_id, action, resource_arn, request_id, status_code, error_code, message, source_address)
                SELECT now(), '111122223333', 'MKIAFQC7K2PCEOXOEVJ5', 'appmesh:CreateVirtualNode', 'arn:' || i, gen_random_uuid()::text, 200, '', '', '127.0.0.1'
                FROM generate_series(1, 50) AS i;
                INSERT INTO idempotency_records (account_id, client_token, operation, request_hash, created_at, uid, version, resource_created_at)
                SELECT '111122223333', 't' || i, 'CreateVirtualNode', md5(i::text), now(), gen_random_uuid(), 1, now() FROM generate_series(1, 50) AS i;
                """);
            Assert.Equal(Off, await TargetsSetAsync(connectionString));
            Assert.Equal(Kept, await AnalyzedAsync(connectionString));

            await migrator.MigrateAsync("20261202035934_NoStatisticsOfLogColumns");
            Assert.Equal(OffButRequestId, await TargetsSetAsync(connectionString));
            Assert.Equal(KeptWithRequestId, await AnalyzedAsync(connectionString));

            await migrator.MigrateAsync("20261202010000_NoStatisticsOfSpecAndTags");
            Assert.Equal("", await TargetsSetAsync(connectionString));
            Assert.Equal(All, await AnalyzedAsync(connectionString));

            // (Statistics an earlier ANALYZE kept stay until cleared: only the targets say what the ups did.)
            await migrator.MigrateAsync();
            Assert.Equal(Off, await TargetsSetAsync(connectionString));
        }
        finally
        {
            await database.Server.DropDatabaseAsync(connectionString);
        }

        // The columns of the three tables with statistics after an ANALYZE of them.
        static async Task<string> AnalyzedAsync(string connectionString)
        {
            await ExecuteAsync(connectionString, "ANALYZE changes, audit_log, idempotency_records");
            return await ScalarAsync(connectionString, """
                SELECT coalesce(string_agg(tablename || '.' || attname, ',' ORDER BY (tablename || '.' || attname) COLLATE "C"), '') FROM pg_stats
                WHERE schemaname = current_schema() AND tablename IN ('changes', 'audit_log', 'idempotency_records')
                """);
        }

        // The columns of the three tables whose target is not the default, with it.
        static Task<string> TargetsSetAsync(string connectionString) => ScalarAsync(connectionString, """
            SELECT coalesce(string_agg(attrelid::regclass || '.' || attname || ':' || attstattarget, ',' ORDER BY attrelid::regclass::text, attname), '')
            FROM pg_attribute
            WHERE attrelid IN ('changes'::regclass, 'audit_log'::regclass, 'idempotency_records'::regclass)
              AND attnum > 0 AND NOT attisdropped AND coalesce(attstattarget, -1) <> -1
            """);
    }

    /// <summary>
    /// An update sets spec, refs, version and last_updated_at. PostgreSQL writes it as a heap-only (HOT) update, with no
    /// new entry in any index, only when no index holds a column whose value changed; an index holding the version (for
    /// a list page read from the index alone, issue14as) made every update write an entry in every index, and cost an
    /// update of a resource with refs about 45% more of PostgreSQL's CPU (docs/benchmarks.md, issue14at). The refs are
    /// in the GIN index, but an update that keeps them keeps it heap-only.
    /// </summary>
    [Fact]
    public async Task TheColumnsEveryUpdateChanges_AreInNoIndexOfResources()
    {
        var connectionString = await database.Server.CreateDatabaseAsync();
        try
        {
            Assert.Equal("", await ScalarAsync(connectionString, """
                SELECT coalesce(string_agg(DISTINCT i.indexrelid::regclass || ':' || a.attname, ','), '')
                FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid
                    AND (a.attnum = ANY (i.indkey) OR pg_get_expr(i.indexprs, i.indrelid) ~ ('\m' || a.attname || '\M'))
                WHERE i.indrelid = 'resources'::regclass AND a.attname IN ('spec', 'version', 'last_updated_at')
                """));
        }
        finally
        {
            await database.Server.DropDatabaseAsync(connectionString);
        }
    }

    /// <summary>
    /// A write function's refusal says, as PostgreSQL logs it, what it is and how the API answers it, with its facts
    /// after the first ": " (a missing reference was a bare "ERROR:  0"). Every refusal of every function has its
    /// prefix; the down gives back the bare facts, with the functions' settings kept both ways.
    /// </summary>
    [Fact]
    public async Task DescribedWriteRefusals_SaysWhatARefusalIs_AndItsDownPutsTheBareFactsBack()
    {
        const string Missing = "mesh write refused (answered NotFoundException by the API), needed resource missing at position (0 = the resource itself): 0";
        var connectionString = await database.Server.CreateDatabaseAsync();
        try
        {
            await using var context = new MeshDbContext(MeshDbContextOptions.Create(connectionString));
            var migrator = context.GetService<IMigrator>();
            var refusal = await DeleteMissingMeshAsync(connectionString);
            Assert.Equal(("MR001", Missing), (refusal.SqlState, refusal.MessageText));
            Assert.Equal(0, await RefusalsAsync(connectionString, described: false));
            Assert.Equal(13, await RefusalsAsync(connectionString, described: true));

            await migrator.MigrateAsync("20261202070419_NoStatisticsOfAuditRequestId");
            refusal = await DeleteMissingMeshAsync(connectionString);
            Assert.Equal(("MR001", "0"), (refusal.SqlState, refusal.MessageText));
            Assert.Equal(13, await RefusalsAsync(connectionString, described: false));
            Assert.Equal(0, await RefusalsAsync(connectionString, described: true));
            Assert.Equal("force_generic_plan", await ScalarAsync(connectionString,
                "SELECT split_part(proconfig[1], '=', 2) FROM pg_proc WHERE proname = 'mesh_update_resource'"));

            await migrator.MigrateAsync();
            Assert.Equal(Missing, (await DeleteMissingMeshAsync(connectionString)).MessageText);
            Assert.Equal(13, await RefusalsAsync(connectionString, described: true));
            Assert.Equal("force_generic_plan", await ScalarAsync(connectionString,
                "SELECT split_part(proconfig[1], '=', 2) FROM pg_proc WHERE proname = 'mesh_update_resource'"));
        }
        finally
        {
            await database.Server.DropDatabaseAsync(connectionString);
        }
    }

    /// <summary>The error of a delete of a mesh that does not exist: a missing reference at position 0, the mesh itself.</summary>
    private static async Task<PostgresException> DeleteMissingMeshAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT * FROM mesh_delete_resource('111122223333', 'absent', 'mesh', '', 'absent', now(),
                ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[], NULL, NULL, 10, 'absent', 0::smallint)
            """, connection);
        return await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
    }

    /// <summary>How many of the write functions' refusals (RAISEs with a Mesh SQLSTATE) say, or do not say, what they are.</summary>
    private static async Task<long> RefusalsAsync(string connectionString, bool described) =>
        long.Parse(await ScalarAsync(connectionString, $"""
            SELECT count(*) FROM pg_proc AS p
            CROSS JOIN LATERAL regexp_matches(p.prosrc, 'RAISE EXCEPTION ''([^'']*)''[^;]* USING ERRCODE = ''(MR00[123]|MT00[12])''', 'g') AS m
            WHERE p.pronamespace = current_schema()::regnamespace
              AND (m[1] ~ '^mesh (write|delete) refused \(answered [A-Za-z]+Exception by the API[^:]*: ') = {(described ? "true" : "false")}
            """), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The index's definition, or "" when there is no such index.</summary>
    private static Task<string> IndexAsync(string connectionString, string index) =>
        ScalarAsync(connectionString, $"SELECT coalesce((SELECT indexdef FROM pg_indexes WHERE indexname = '{index}'), '')");

    /// <summary>How many lines of <paramref name="function"/>'s definition contain <paramref name="text"/>.</summary>
    private static async Task<long> CountAsync(string connectionString, string function, string text) =>
        long.Parse(await ScalarAsync(connectionString, $"""
            SELECT count(*) FROM regexp_split_to_table(pg_get_functiondef('{function}'::regproc), E'\n') AS line
            WHERE strpos(line, '{text}') > 0
            """), System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<string> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
