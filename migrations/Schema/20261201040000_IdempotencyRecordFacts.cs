using Mesh.Persistence;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// A clientToken record keeps what only the first call knew (the resource's uid, the version written, the resource's
    /// creation time; the write's own time is the record's <c>created_at</c>) instead of the first answer's text
    /// (issue14al). The answer's text was 600-900 B of a create's and an update's heap record and WAL, the largest piece
    /// of either. A replay is a request whose canonical hash equals the first's (<c>request_hash</c>), so the API
    /// renders its answer from the replayed request with the stored values: the same renderer, the same input, the same
    /// bytes.
    /// </summary>
    /// <remarks>
    /// <para>
    /// <c>mesh_claim_token</c> takes those values instead of the answer and, for a replay, returns them (or, for a record
    /// written before this migration and not yet pruned, its stored answer: <c>response</c> stays, nullable, and is
    /// answered as before). The create and update functions return them to the API; neither takes an answer any more.
    /// The update still reads and locks its row before the claim: the record needs the row's uid, version and creation
    /// time.
    /// </para>
    /// <para>
    /// The API of this version needs this schema (the create and update functions' signatures changed); the migrations
    /// run before the hosts start (<c>run.sh</c>, the deploy manifests).
    /// </para>
    /// </remarks>
    public partial class IdempotencyRecordFacts : Migration
    {
        private const string OldCreate = "mesh_create_resource(text, text, text, text, text, text, uuid, jsonb, jsonb, text[], text, timestamptz, text[], text[], text[], boolean, integer, text, text, text, timestamptz, text, text, smallint, integer, bigint, boolean)";
        private const string OldUpdate = "mesh_update_resource(text, text, text, text, text, jsonb, text[], timestamptz, text[], text[], text[], integer, boolean, integer, text, text, text, timestamptz, text, text[])";
        private const string OldClaim = "mesh_claim_token(text, text, text, text, timestamptz, timestamptz, text)";
        private const string NewCreate = "mesh_create_resource(text, text, text, text, text, text, uuid, jsonb, jsonb, text[], text, timestamptz, text[], text[], text[], boolean, integer, text, text, text, timestamptz, text, smallint, integer, bigint, boolean)";
        private const string NewUpdate = "mesh_update_resource(text, text, text, text, text, jsonb, text[], timestamptz, text[], text[], text[], integer, boolean, integer, text, text, text, timestamptz)";
        private const string NewClaim = "mesh_claim_token(text, text, text, text, timestamptz, timestamptz, uuid, bigint, timestamptz)";

        /// <summary>The claim function as this migration makes it (migration ClaimWithoutSpeculativeInsert's down puts it back).</summary>
        public const string ClaimFunction = $$"""
            -- No row's values (all NULL) when this call now holds the token (or sent none), its record written with the
            -- values its answer needs of the first call; else the record of the identical request that holds it: the
            -- resource's uid, the version written, the resource's creation time (NULL: the write's own, a create's)
            -- and the write's time, or (a record written before migration IdempotencyRecordFacts) its stored answer.
            -- A concurrent call with the same token waits here for the first to commit.
            CREATE FUNCTION mesh_claim_token(
                p_account text, p_token text, p_operation text, p_hash text, p_at timestamptz, p_cutoff timestamptz,
                p_uid uuid, p_version bigint, p_resource_created_at timestamptz,
                OUT o_response text, OUT o_uid uuid, OUT o_version bigint, OUT o_resource_created_at timestamptz, OUT o_at timestamptz)
            LANGUAGE plpgsql VOLATILE AS $$
            DECLARE
                held record;
            BEGIN
                IF p_token IS NULL THEN
                    RETURN;
                END IF;
                -- Claims the token, or takes over a record old enough to be pruned.
                INSERT INTO idempotency_records AS i (account_id, client_token, operation, request_hash, created_at, uid, version, resource_created_at)
                VALUES (p_account, p_token, p_operation, p_hash, p_at, p_uid, p_version, p_resource_created_at)
                ON CONFLICT (account_id, client_token) DO UPDATE
                    SET operation = EXCLUDED.operation, request_hash = EXCLUDED.request_hash, response = NULL,
                        created_at = EXCLUDED.created_at, uid = EXCLUDED.uid, version = EXCLUDED.version,
                        resource_created_at = EXCLUDED.resource_created_at
                    WHERE i.created_at < p_cutoff;
                IF FOUND THEN
                    RETURN;
                END IF;
                SELECT i.operation, i.request_hash, i.response, i.uid, i.version, i.resource_created_at, i.created_at INTO held
                FROM idempotency_records AS i
                WHERE i.account_id = p_account AND i.client_token = p_token;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'clientToken changed hands' USING ERRCODE = 'MT002';
                END IF;
                IF held.operation <> p_operation OR held.request_hash <> p_hash THEN
                    RAISE EXCEPTION '%', held.operation USING ERRCODE = 'MT001';
                END IF;
                o_response := held.response;
                o_uid := held.uid;
                o_version := held.version;
                o_resource_created_at := held.resource_created_at;
                o_at := held.created_at;
            END;
            $$;
            """;

        /// <summary>The update function as this migration makes it (migration UpdateWithoutRowLock's down puts it back).</summary>
        public const string UpdateFunction = $$"""
            -- An update: the row's values for the answer, or (o_replayed_at not NULL) the replayed request's record: the
            -- uid, version and creation time its answer showed, and the write's time (o_replayed: the stored answer of a
            -- record written before migration IdempotencyRecordFacts). The row is read and locked before the token is
            -- claimed, so that the record holds the row's values.
            CREATE FUNCTION mesh_update_resource(
                p_account text, p_mesh text, p_kind text, p_parent text, p_name text, p_spec jsonb, p_refs text[], p_at timestamptz,
                p_need_kinds text[], p_need_parents text[], p_need_names text[], p_containers integer,
                p_check_route_port boolean, p_match_port integer,
                p_token text, p_operation text, p_hash text, p_token_cutoff timestamptz)
            RETURNS TABLE (o_replayed text, o_arn text, o_uid uuid, o_version bigint, o_resource_owner text, o_created_at timestamptz,
                           o_replayed_at timestamptz)
            LANGUAGE plpgsql VOLATILE AS $$
            DECLARE
                missing integer;
                target record;
                found_row boolean;
                held record;
                quiet text;
            BEGIN
                SELECT r.id, r.arn, r.uid, r.version, r.resource_owner, r.created_at INTO target FROM resources AS r
                WHERE r.account_id = p_account AND r.mesh_name = p_mesh AND r.kind = p_kind AND r.parent_name = p_parent AND r.name = p_name
                FOR NO KEY UPDATE;
                found_row := FOUND;
                -- No row: the record is claimed without values, and the write fails below unless this is a replay (a failed
                -- write's claim is rolled back with it). The row is locked, so its version cannot move.
                held := mesh_claim_token(p_account, p_token, p_operation, p_hash, p_at, p_token_cutoff,
                    target.uid, target.version + 1, target.created_at);
                IF held.o_at IS NOT NULL THEN
                    o_replayed := held.o_response;
                    o_uid := held.o_uid;
                    o_version := held.o_version;
                    o_created_at := held.o_resource_created_at;
                    o_replayed_at := held.o_at;
                    RETURN NEXT;
                    RETURN;
                END IF;
                missing := mesh_lock_needed(p_account, p_mesh, p_need_kinds, p_need_parents, p_need_names);
                -- Named in this order: the mesh, the parent, the resource itself, then what its spec names.
                IF missing BETWEEN 1 AND p_containers THEN
                    RAISE EXCEPTION '%', missing USING ERRCODE = 'MR001';
                END IF;
                IF NOT found_row THEN
                    RAISE EXCEPTION '0' USING ERRCODE = 'MR001';
                END IF;
                IF missing > 0 THEN
                    RAISE EXCEPTION '%', missing USING ERRCODE = 'MR001';
                END IF;
                IF p_check_route_port THEN
                    PERFORM mesh_check_route_port(p_account, p_mesh, p_parent, p_match_port);
                END IF;
                quiet := set_config('{{ChangeFeed.NotifyAfterCommitSetting}}', 'on', true);
                -- The UPDATE and its change in one statement (the row is locked, so it updates exactly that row).
                WITH updated AS (
                    UPDATE resources SET spec = p_spec, refs = p_refs, version = target.version + 1, last_updated_at = p_at
                    WHERE id = target.id
                    RETURNING 1)
                INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
                SELECT p_account, p_mesh, p_kind, p_parent, p_name, target.version + 1, 'update', p_at FROM updated;
                o_arn := target.arn;
                o_uid := target.uid;
                o_version := target.version + 1;
                o_resource_owner := target.resource_owner;
                o_created_at := target.created_at;
                RETURN NEXT;
            END;
            $$;
            """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($$"""
                ALTER TABLE idempotency_records ALTER COLUMN response DROP NOT NULL;
                ALTER TABLE idempotency_records ADD COLUMN uid uuid, ADD COLUMN version bigint, ADD COLUMN resource_created_at timestamptz;

                DROP FUNCTION {{OldCreate}};
                DROP FUNCTION {{OldUpdate}};
                DROP FUNCTION {{OldClaim}};

                {{ClaimFunction}}

                -- A create: a row of NULLs when the resource was written, else the replayed request's record
                -- (mesh_claim_token's values, o_at never NULL).
                CREATE FUNCTION mesh_create_resource(
                    p_account text, p_mesh text, p_kind text, p_parent text, p_name text, p_arn text, p_uid uuid,
                    p_spec jsonb, p_tags jsonb, p_refs text[], p_owner text, p_at timestamptz,
                    p_need_kinds text[], p_need_parents text[], p_need_names text[], p_check_route_port boolean, p_match_port integer,
                    p_token text, p_operation text, p_hash text, p_token_cutoff timestamptz,
                    p_scope_mesh text, p_shard smallint, p_shards integer, p_quota bigint, p_exact boolean)
                RETURNS TABLE (o_replayed text, o_uid uuid, o_at timestamptz)
                LANGUAGE plpgsql VOLATILE AS $$
                DECLARE
                    held record;
                    missing integer;
                    total bigint;
                    quiet text;
                BEGIN
                    -- A create's record: its uid and version 1; its creation time is the record's own.
                    held := mesh_claim_token(p_account, p_token, p_operation, p_hash, p_at, p_token_cutoff, p_uid, 1, NULL);
                    IF held.o_at IS NOT NULL THEN
                        o_replayed := held.o_response;
                        o_uid := held.o_uid;
                        o_at := held.o_at;
                        RETURN NEXT;
                        RETURN;
                    END IF;
                    -- The shared "depends on" lock of each resource the create needs; the probe below is a later statement, so its
                    -- snapshot sees any delete this waited for.
                    PERFORM pg_advisory_xact_lock_shared(1296388936, hashtext(p_account || '/' || p_mesh || '/' || k || '/' || p || '/' || n))
                    FROM unnest(p_need_kinds, p_need_parents, p_need_names) AS t(k, p, n);
                    IF p_check_route_port THEN
                        -- A route's port is checked after its missing links and before its name: the probe first, as before.
                        missing := mesh_first_missing(p_account, p_mesh, p_need_kinds, p_need_parents, p_need_names);
                        IF missing > 0 THEN
                            RAISE EXCEPTION '%', missing USING ERRCODE = 'MR001';
                        END IF;
                        PERFORM mesh_check_route_port(p_account, p_mesh, p_parent, p_match_port);
                    END IF;
                    -- Makes the changes trigger leave out its NOTIFY (an assignment: an expression, not a statement).
                    quiet := set_config('{{ChangeFeed.NotifyAfterCommitSetting}}', 'on', true);
                    -- One statement probes the needed resources (mesh_first_missing's probe), and only when all are there inserts the
                    -- resource and its change: all three share its snapshot. A duplicate name fails the INSERT with a unique
                    -- violation, which the API answers as a conflict; a missing link inserts nothing and is named below.
                    WITH need AS MATERIALIZED (
                        SELECT coalesce(min(w.ord), 0)::integer AS missing
                        FROM unnest(p_need_kinds, p_need_parents, p_need_names) WITH ORDINALITY AS w(k, p, n, ord)
                        LEFT JOIN LATERAL (
                            SELECT 1 AS present FROM resources AS r
                            WHERE r.account_id = p_account AND r.mesh_name = p_mesh AND r.kind = w.k AND r.parent_name = w.p AND r.name = w.n
                            LIMIT 1) AS found ON true
                        WHERE found.present IS NULL),
                    created AS (
                        INSERT INTO resources (account_id, mesh_name, kind, parent_name, name, arn, uid, version, spec, tags, refs, resource_owner, created_at, last_updated_at)
                        SELECT p_account, p_mesh, p_kind, p_parent, p_name, p_arn, p_uid, 1, p_spec, p_tags, p_refs, p_owner, p_at, p_at
                        FROM need WHERE need.missing = 0
                        RETURNING 1),
                    logged AS (
                        INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
                        SELECT p_account, p_mesh, p_kind, p_parent, p_name, 1, 'create', p_at FROM created)
                    SELECT need.missing INTO missing FROM need;
                    IF missing > 0 THEN
                        RAISE EXCEPTION '%', missing USING ERRCODE = 'MR001';
                    END IF;

                    -- Last, so that the quota's shard is held only for the commit (QuotaCounter); an assignment, not a statement.
                    total := mesh_count_created(p_account, p_scope_mesh, p_kind, p_parent, p_shard, p_shards, p_quota, p_exact);
                    RETURN NEXT;
                END;
                $$;

                {{UpdateFunction}}

                ALTER FUNCTION {{NewCreate}} SET plan_cache_mode = force_generic_plan;
                ALTER FUNCTION {{NewUpdate}} SET plan_cache_mode = force_generic_plan;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // The records written since keep no answer: they are deleted (a replay of one of them then writes again, as
            // after a prune), and the column is required again.
            migrationBuilder.Sql($$"""
                DROP FUNCTION {{NewCreate}};
                DROP FUNCTION {{NewUpdate}};
                DROP FUNCTION {{NewClaim}};

                DELETE FROM idempotency_records WHERE response IS NULL;
                ALTER TABLE idempotency_records DROP COLUMN uid, DROP COLUMN version, DROP COLUMN resource_created_at;
                ALTER TABLE idempotency_records ALTER COLUMN response SET NOT NULL;

                {{AnswerWrittenWithClaim.ClaimFunction}}

                {{FewerStatementsPerWrite.CreateFunction}}

                {{FewerStatementsPerWrite.UpdateFunction}}

                ALTER FUNCTION {{OldCreate}} SET plan_cache_mode = force_generic_plan;
                ALTER FUNCTION {{OldUpdate}} SET plan_cache_mode = force_generic_plan;
                """);
        }
    }
}
