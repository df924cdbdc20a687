using Mesh.Persistence;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// A write runs fewer statements (issue14ah). PostgreSQL alone, replaying the SQL one write sends, reached 0.28-0.40x
    /// of pgbench's single-row insert, its CPU spread over about ten statements per create at a fixed cost each
    /// (issue14af). The same work, in fewer statements:
    /// <list type="bullet">
    /// <item>a create's probe of the resources it needs, its resource INSERT and its change INSERT are one statement
    /// (data-modifying CTEs sharing one snapshot, taken after the "depends on" locks: nothing is inserted when a needed
    /// resource is missing); an update's UPDATE and change INSERT, and a delete's DELETE and change INSERT, likewise;</item>
    /// <item>the quota shard's increment returns the scope's total (a sum in <c>RETURNING</c>) instead of a SELECT after
    /// it (<c>mesh_count_created</c>);</item>
    /// <item>the notify setting and a create's count are set in assignments (expressions, not statements), and the
    /// update and delete return their row from variables instead of with <c>RETURN QUERY</c>;</item>
    /// <item>the changes trigger's condition is its <c>WHEN</c> clause, so a write's change no longer calls
    /// <c>mesh_notify_change</c> to find it has nothing to do.</item>
    /// </list>
    /// The statements a write function runs (<c>pg_stat_statements</c>, nested): a create's go from 9 to 4 (the claim, the
    /// locks, the probe with both INSERTs, the shard's UPDATE), an update's from 8 to 5, a virtual node's delete's from
    /// 8 to 5.
    /// </summary>
    /// <remarks>
    /// <para>
    /// What each write does, refuses and answers is unchanged, in the same order: a replay answers the stored text,
    /// another request with the token is refused naming the first, a missing link is named before a duplicate name is
    /// refused (a create inserts nothing when a link is missing, so no unique index is probed), a route's port is checked
    /// after its links and before its name (a route's create probes its links first, as before, and then again in the
    /// INSERT's statement, where they are still there: the locks keep them), and a delete's checks still raise after
    /// its DELETE, rolling it back with its change.
    /// </para>
    /// <para>
    /// The quota's bound is the argument of migration QuotaShardAdvisoryLocks, unchanged: the shard's lock is taken in
    /// a statement before the UPDATE, so the UPDATE's snapshot, taken after the lock is held, sees every create committed
    /// before it; the sum in its RETURNING reads that snapshot, in which the statement's own increment is not yet
    /// visible, hence the total is the sum + 1, the value the SELECT after the UPDATE read. No other write changes the
    /// shard's row while the lock is held, so the UPDATE finds it as its snapshot does.
    /// </para>
    /// <para>
    /// The claim (<c>mesh_claim_token</c>), the locks (<c>mesh_lock_needed</c>, an update's) and the quota
    /// (<c>mesh_count_created</c>, <c>mesh_count_deleted</c>) stay functions of their own, called as before: each is one
    /// place, tested on its own. Signatures are unchanged, so an API of the previous version runs on this schema and
    /// this one on the previous; the create and update functions keep <c>plan_cache_mode = force_generic_plan</c>.
    /// </para>
    /// </remarks>
    public partial class FewerStatementsPerWrite : Migration
    {
        private const string Create = "mesh_create_resource(text, text, text, text, text, text, uuid, jsonb, jsonb, text[], text, timestamptz, text[], text[], text[], boolean, integer, text, text, text, timestamptz, text, text, smallint, integer, bigint, boolean)";
        private const string Update = "mesh_update_resource(text, text, text, text, text, jsonb, text[], timestamptz, text[], text[], text[], integer, boolean, integer, text, text, text, timestamptz, text, text[])";

        /// <summary>The create function as this migration makes it (migration IdempotencyRecordFacts's down puts it back).</summary>
        public const string CreateFunction = $$"""
            -- A create: NULL when the resource was written, else the stored answer of a replayed request. p_answer is the
            -- text of the answer the API sends, stored with the token as it is.
            CREATE OR REPLACE FUNCTION mesh_create_resource(
                p_account text, p_mesh text, p_kind text, p_parent text, p_name text, p_arn text, p_uid uuid,
                p_spec jsonb, p_tags jsonb, p_refs text[], p_owner text, p_at timestamptz,
                p_need_kinds text[], p_need_parents text[], p_need_names text[], p_check_route_port boolean, p_match_port integer,
                p_token text, p_operation text, p_hash text, p_token_cutoff timestamptz, p_answer text,
                p_scope_mesh text, p_shard smallint, p_shards integer, p_quota bigint, p_exact boolean)
            RETURNS text
            LANGUAGE plpgsql VOLATILE AS $$
            DECLARE
                replayed text;
                missing integer;
                total bigint;
                quiet text;
            BEGIN
                replayed := mesh_claim_token(p_account, p_token, p_operation, p_hash, p_at, p_token_cutoff, p_answer);
                IF replayed IS NOT NULL THEN
                    RETURN replayed;
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
                RETURN NULL;
            END;
            $$;
            """;

        /// <summary>The update function as this migration makes it (migration IdempotencyRecordFacts's down puts it back).</summary>
        public const string UpdateFunction = $$"""
            -- An update: the stored answer of a replayed request, or (o_replayed NULL) what the answer needs of the row.
            -- p_answer is the text of the API's answer with placeholders for what only the row knows: p_answer_holes
            -- are the placeholders' exact text ("uid":"…", "version":…, "createdAt":…, each with a random value the
            -- API drew for this call), replaced by the row's values written as the API writes them, so that the text
            -- stored with the token is byte for byte the answer the API sends. The row is read (and locked) before the
            -- token is claimed, so that the claim writes the record once, with its answer.
            CREATE OR REPLACE FUNCTION mesh_update_resource(
                p_account text, p_mesh text, p_kind text, p_parent text, p_name text, p_spec jsonb, p_refs text[], p_at timestamptz,
                p_need_kinds text[], p_need_parents text[], p_need_names text[], p_containers integer,
                p_check_route_port boolean, p_match_port integer,
                p_token text, p_operation text, p_hash text, p_token_cutoff timestamptz, p_answer text, p_answer_holes text[])
            RETURNS TABLE (o_replayed text, o_arn text, o_uid uuid, o_version bigint, o_resource_owner text, o_created_at timestamptz)
            LANGUAGE plpgsql VOLATILE AS $$
            DECLARE
                missing integer;
                target record;
                found_row boolean;
                answer text;
                quiet text;
            BEGIN
                SELECT r.id, r.arn, r.uid, r.version, r.resource_owner, r.created_at INTO target FROM resources AS r
                WHERE r.account_id = p_account AND r.mesh_name = p_mesh AND r.kind = p_kind AND r.parent_name = p_parent AND r.name = p_name
                FOR NO KEY UPDATE;
                found_row := FOUND;
                IF p_token IS NOT NULL AND found_row THEN
                    -- Written as the API writes them: a uuid in lower case, createdAt as epoch seconds with
                    -- millisecond precision and no trailing zeros. The row is locked, so its version cannot move.
                    answer := replace(replace(replace(p_answer,
                        p_answer_holes[1], '"uid":"' || target.uid::text || '"'),
                        p_answer_holes[2], '"version":' || (target.version + 1)::text),
                        p_answer_holes[3], '"createdAt":' || trim_scale(floor(extract(epoch FROM target.created_at) * 1000) / 1000)::text);
                ELSE
                    -- No row: the write fails below unless this is a replay, and a failed write's claim is rolled back.
                    answer := p_answer;
                END IF;
                -- The OUT columns are the row's values: a replay returns its stored answer with the others NULL.
                o_replayed := mesh_claim_token(p_account, p_token, p_operation, p_hash, p_at, p_token_cutoff, answer);
                IF o_replayed IS NOT NULL THEN
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
                {{CreateFunction}}

                {{UpdateFunction}}

                -- A delete: the row as it was (deleted first, then the checks that may refuse it). p_need_* are the
                -- resource's mesh and parent, to name the first missing link when the resource is not there; p_child_kind
                -- the kind of its children (NULL if none); p_refs_key its key in mesh_refs (NULL for a mesh); p_named how
                -- many dependents a refusal lists.
                CREATE OR REPLACE FUNCTION mesh_delete_resource(
                    p_account text, p_mesh text, p_kind text, p_parent text, p_name text, p_at timestamptz,
                    p_need_kinds text[], p_need_parents text[], p_need_names text[],
                    p_child_kind text, p_refs_key text, p_named integer, p_scope_mesh text, p_shard smallint)
                RETURNS TABLE (o_id bigint, o_arn text, o_uid uuid, o_version bigint, o_spec text, o_tags text, o_refs text[],
                               o_resource_owner text, o_created_at timestamptz, o_last_updated_at timestamptz)
                LANGUAGE plpgsql VOLATILE AS $$
                DECLARE
                    gone record;
                    users jsonb;
                    quiet text;
                BEGIN
                    -- Exclusive "depends on" lock first: every write that depends on the resource has committed, and is
                    -- seen by the reads below, or waits for this delete.
                    PERFORM pg_advisory_xact_lock(1296388936, hashtext(p_account || '/' || p_mesh || '/' || p_kind || '/' || p_parent || '/' || p_name));
                    quiet := set_config('{{ChangeFeed.NotifyAfterCommitSetting}}', 'on', true);
                    -- Deleted first, returning the row as it was, with its change in the same statement. A refusal below raises, and
                    -- the delete and its change are rolled back with the transaction.
                    WITH deleted AS (
                        DELETE FROM resources AS r
                        WHERE r.account_id = p_account AND r.mesh_name = p_mesh AND r.kind = p_kind AND r.parent_name = p_parent AND r.name = p_name
                        RETURNING r.id, r.arn, r.uid, r.version, r.spec::text AS spec, r.tags::text AS tags, r.refs, r.resource_owner,
                                  r.created_at, r.last_updated_at),
                    logged AS (
                        INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
                        SELECT p_account, p_mesh, p_kind, p_parent, p_name, deleted.version, 'delete', p_at FROM deleted)
                    SELECT * INTO gone FROM deleted;
                    IF NOT FOUND THEN
                        RAISE EXCEPTION '%', mesh_first_missing(p_account, p_mesh, p_need_kinds, p_need_parents, p_need_names) USING ERRCODE = 'MR001';
                    END IF;

                    IF p_kind = 'mesh' THEN
                        SELECT jsonb_agg(jsonb_build_array(u.kind, u.parent_name, u.name, u.total) ORDER BY u.kind, u.parent_name, u.name) INTO users
                        FROM (SELECT r.kind, r.parent_name, r.name, count(*) OVER () AS total FROM resources AS r
                              WHERE r.account_id = p_account AND r.mesh_name = p_mesh AND r.kind <> p_kind
                              ORDER BY r.kind, r.parent_name, r.name LIMIT p_named) AS u;
                        IF users IS NOT NULL THEN
                            RAISE EXCEPTION 'contents %', users USING ERRCODE = 'MR003';
                        END IF;
                    END IF;
                    IF p_child_kind IS NOT NULL THEN
                        SELECT jsonb_agg(jsonb_build_array(u.kind, u.parent_name, u.name, u.total) ORDER BY u.name) INTO users
                        FROM (SELECT r.kind, r.parent_name, r.name, count(*) OVER () AS total FROM resources AS r
                              WHERE r.account_id = p_account AND r.mesh_name = p_mesh AND r.kind = p_child_kind AND r.parent_name = p_name
                              ORDER BY r.name LIMIT p_named) AS u;
                        IF users IS NOT NULL THEN
                            RAISE EXCEPTION 'children %', users USING ERRCODE = 'MR003';
                        END IF;
                    END IF;
                    IF p_refs_key IS NOT NULL THEN
                        -- One probe of ix_resources_mesh_refs (migration MeshQualifiedRefs); "refs <> '{}'" is its predicate.
                        SELECT jsonb_agg(jsonb_build_array(u.kind, u.parent_name, u.name, u.total) ORDER BY u.kind, u.parent_name, u.name) INTO users
                        FROM (SELECT r.kind, r.parent_name, r.name, count(*) OVER () AS total FROM resources AS r
                              WHERE mesh_refs(r.account_id, r.mesh_name, r.refs) @> ARRAY[p_refs_key]::text[] AND r.refs <> '{}'
                              ORDER BY r.kind, r.parent_name, r.name LIMIT p_named) AS u;
                        IF users IS NOT NULL THEN
                            RAISE EXCEPTION 'users %', users USING ERRCODE = 'MR003';
                        END IF;
                    END IF;

                    PERFORM mesh_count_deleted(p_account, p_scope_mesh, p_kind, p_parent, p_shard);
                    -- The row from variables: RETURN QUERY would run a statement of its own.
                    o_id := gone.id; o_arn := gone.arn; o_uid := gone.uid; o_version := gone.version; o_spec := gone.spec; o_tags := gone.tags;
                    o_refs := gone.refs; o_resource_owner := gone.resource_owner; o_created_at := gone.created_at; o_last_updated_at := gone.last_updated_at;
                    RETURN NEXT;
                END;
                $$;

                -- The quota's count of a create (migration QuotaShardAdvisoryLocks), the total read in the shard's UPDATE.
                CREATE OR REPLACE FUNCTION mesh_count_created(
                    scope_account text, scope_mesh text, scope_kind text, scope_parent text,
                    picked_shard smallint, shards integer, quota bigint, exact boolean)
                RETURNS bigint
                LANGUAGE plpgsql VOLATILE AS $$
                DECLARE
                    scope_key bigint := mesh_quota_shard_key(scope_account, scope_mesh, scope_kind, scope_parent);
                    taken smallint;
                    total bigint;
                BEGIN
                    IF NOT exact THEN
                        -- The shard's lock is held, so no other write is changing or inserting its row: the UPDATE's
                        -- snapshot, taken after the lock, sees the row if it was ever committed, and every create committed before
                        -- the lock was granted. The total is read in the UPDATE (RETURNING), over that snapshot, where the UPDATE's own
                        -- increment is not yet seen: + 1.
                        taken := mesh_quota_take_shard(scope_key, picked_shard, shards);
                        UPDATE resource_counts SET count = count + 1
                        WHERE account_id = scope_account AND mesh_name = scope_mesh AND kind = scope_kind AND parent_name = scope_parent
                          AND shard = taken
                        RETURNING (SELECT sum(c.count) FROM resource_counts AS c
                                   WHERE c.account_id = scope_account AND c.mesh_name = scope_mesh AND c.kind = scope_kind AND c.parent_name = scope_parent) + 1
                        INTO total;
                        IF NOT FOUND THEN
                            INSERT INTO resource_counts AS c (account_id, mesh_name, kind, parent_name, shard, count)
                            VALUES (scope_account, scope_mesh, scope_kind, scope_parent, taken, 1)
                            ON CONFLICT (account_id, mesh_name, kind, parent_name, shard) DO UPDATE SET count = c.count + 1;
                            SELECT coalesce(sum(count), 0) INTO total FROM resource_counts
                            WHERE account_id = scope_account AND mesh_name = scope_mesh AND kind = scope_kind AND parent_name = scope_parent;
                        END IF;
                        IF total + shards - 1 <= quota THEN
                            RETURN total;
                        END IF;
                        RAISE EXCEPTION 'within % of the quota of %: count exactly', shards, quota USING ERRCODE = 'MQ001';
                    END IF;
                    FOR each_shard IN 0 .. shards - 1 LOOP
                        PERFORM pg_advisory_xact_lock(scope_key + each_shard);
                    END LOOP;
                    INSERT INTO resource_counts (account_id, mesh_name, kind, parent_name, shard, count)
                    SELECT scope_account, scope_mesh, scope_kind, scope_parent, s, 0 FROM generate_series(0, shards - 1) AS s
                    ON CONFLICT DO NOTHING;
                    UPDATE resource_counts SET count = count + 1
                    WHERE account_id = scope_account AND mesh_name = scope_mesh AND kind = scope_kind AND parent_name = scope_parent AND shard = 0;
                    SELECT coalesce(sum(count), 0) INTO total FROM resource_counts
                    WHERE account_id = scope_account AND mesh_name = scope_mesh AND kind = scope_kind AND parent_name = scope_parent;
                    IF total > quota THEN
                        RAISE EXCEPTION 'the quota of % is reached', quota USING ERRCODE = 'MQ002';
                    END IF;
                    RETURN total;
                END;
                $$;

                ALTER FUNCTION {{Create}} SET plan_cache_mode = force_generic_plan;
                ALTER FUNCTION {{Update}} SET plan_cache_mode = force_generic_plan;

                -- The trigger's condition, evaluated without a call of its function: the API's writes set the setting
                -- and send their NOTIFY after their commit (migration NotifyAfterCommit).
                DROP TRIGGER changes_notify ON changes;
                CREATE TRIGGER changes_notify
                AFTER INSERT ON changes
                FOR EACH ROW WHEN (coalesce(current_setting('{{ChangeFeed.NotifyAfterCommitSetting}}', true), '') <> 'on')
                EXECUTE FUNCTION mesh_notify_change();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($$"""
                DROP TRIGGER changes_notify ON changes;
                CREATE TRIGGER changes_notify
                AFTER INSERT ON changes
                FOR EACH ROW EXECUTE FUNCTION mesh_notify_change();

                DROP FUNCTION {{Create}};
                DROP FUNCTION {{Update}};

                {{AnswerWrittenWithClaim.CreateFunction}}

                {{AnswerWrittenWithClaim.UpdateFunction}}

                {{DeleteReturnsTheRow.DeleteFunction}}

                {{QuotaShardAdvisoryLocks.CountCreatedFunction}}

                ALTER FUNCTION {{Create}} SET plan_cache_mode = force_generic_plan;
                ALTER FUNCTION {{Update}} SET plan_cache_mode = force_generic_plan;
                """);
        }
    }
}
