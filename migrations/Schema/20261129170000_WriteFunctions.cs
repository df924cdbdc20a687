using Mesh.Persistence;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// A resource create, update or delete as one call of a function, so that the API sends the whole write (the
    /// audit record, the call, COMMIT and NOTIFY) in one round trip. Before, a write took two: the API claimed the
    /// clientToken and locked and read what the write depends on, decided (a replay, a missing dependency, the route's
    /// port), then sent the writes; every round trip is a wait and a wake-up on both sides, which cost the API more
    /// CPU than its own code (issue14f). The decisions are the same, made here: each function claims the token (a
    /// replay returns the stored answer and writes nothing), locks and checks what the write needs, writes the row,
    /// its change and the token's answer, and counts the quota last (<c>mesh_count_created</c> /
    /// <c>mesh_count_deleted</c>, so a shard is held only for the commit). A refusal is an error with its own
    /// SQLSTATE and the facts the API needs for its message in the message text (not the detail, which Npgsql
    /// redacts); the API words the App Mesh error (see WriteRefusals):
    /// <list type="bullet">
    /// <item><c>MR001</c>: a needed resource is missing; the text is its position in the list the API sent (1-based), or 0 for the resource itself.</item>
    /// <item><c>MR002</c>: a route's match port does not fit its router's listeners; the text is the listeners' ports, ", "-separated.</item>
    /// <item><c>MR003</c>: a delete is refused because something uses the resource; the text is which check (contents, children or users), a space, and up to the asked number of them as a JSON array of [kind, parent, name, total].</item>
    /// <item><c>MT001</c>: the clientToken was used for another request; the text is that request's operation.</item>
    /// <item><c>MT002</c>: the clientToken's record vanished between the claim and its read (a prune racing the write).</item>
    /// </list>
    /// The locks are those of the two-round-trip writes (see ResourceLocks in the API): a shared advisory lock per
    /// needed resource, keyed by its identity (class 0x4D455348, "MESH"), which a delete takes exclusively before it
    /// locks its row FOR UPDATE and looks for dependents; an update locks its row FOR NO KEY UPDATE. Each statement
    /// of a VOLATILE function takes a new snapshot under READ COMMITTED, so a read after a lock sees what it waited for.
    /// </summary>
    public partial class WriteFunctions : Migration
    {
        /// <summary>The create function as this migration makes it (migration ReplayedAnswersVerbatim's down puts it back).</summary>
        public const string CreateFunction = $$"""
            -- A create: NULL when the resource was written, else the stored answer of a replayed request.
            CREATE FUNCTION mesh_create_resource(
                p_account text, p_mesh text, p_kind text, p_parent text, p_name text, p_arn text, p_uid uuid,
                p_spec jsonb, p_tags jsonb, p_refs text[], p_owner text, p_at timestamptz,
                p_need_kinds text[], p_need_parents text[], p_need_names text[], p_check_route_port boolean, p_match_port integer,
                p_token text, p_operation text, p_hash text, p_token_cutoff timestamptz, p_answer jsonb,
                p_scope_mesh text, p_shard smallint, p_shards integer, p_quota bigint, p_exact boolean)
            RETURNS text
            LANGUAGE plpgsql VOLATILE AS $$
            DECLARE
                replayed text;
                missing integer;
            BEGIN
                replayed := mesh_claim_token(p_account, p_token, p_operation, p_hash, p_at, p_token_cutoff);
                IF replayed IS NOT NULL THEN
                    RETURN replayed;
                END IF;
                missing := mesh_lock_needed(p_account, p_mesh, p_need_kinds, p_need_parents, p_need_names);
                IF missing > 0 THEN
                    RAISE EXCEPTION '%', missing USING ERRCODE = 'MR001';
                END IF;
                IF p_check_route_port THEN
                    PERFORM mesh_check_route_port(p_account, p_mesh, p_parent, p_match_port);
                END IF;
                -- A duplicate name fails here with a unique violation, which the API answers as a conflict.
                INSERT INTO resources (account_id, mesh_name, kind, parent_name, name, arn, uid, version, spec, tags, refs, resource_owner, created_at, last_updated_at)
                VALUES (p_account, p_mesh, p_kind, p_parent, p_name, p_arn, p_uid, 1, p_spec, p_tags, p_refs, p_owner, p_at, p_at);
                PERFORM set_config('{{ChangeFeed.NotifyAfterCommitSetting}}', 'on', true);
                INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
                VALUES (p_account, p_mesh, p_kind, p_parent, p_name, 1, 'create', p_at);
                IF p_token IS NOT NULL THEN
                    UPDATE idempotency_records SET response = p_answer WHERE account_id = p_account AND client_token = p_token;
                END IF;
                PERFORM mesh_count_created(p_account, p_scope_mesh, p_kind, p_parent, p_shard, p_shards, p_quota, p_exact);
                RETURN NULL;
            END;
            $$;
            """;

        /// <summary>The update function as this migration makes it (migration ReplayedAnswersVerbatim's down puts it back).</summary>
        public const string UpdateFunction = $$"""
            -- An update: the stored answer of a replayed request, or (o_replayed NULL) what the answer needs of the row.
            -- p_answer is the API's answer with placeholders for what only the row knows (arn, createdAt,
            -- resourceOwner, uid, version): they are filled in here before it is stored with the token.
            CREATE FUNCTION mesh_update_resource(
                p_account text, p_mesh text, p_kind text, p_parent text, p_name text, p_spec jsonb, p_refs text[], p_at timestamptz,
                p_need_kinds text[], p_need_parents text[], p_need_names text[], p_containers integer,
                p_check_route_port boolean, p_match_port integer,
                p_token text, p_operation text, p_hash text, p_token_cutoff timestamptz, p_answer jsonb)
            RETURNS TABLE (o_replayed text, o_arn text, o_uid uuid, o_version bigint, o_resource_owner text, o_created_at timestamptz)
            LANGUAGE plpgsql VOLATILE AS $$
            DECLARE
                replayed text;
                missing integer;
                target record;
                found_row boolean;
            BEGIN
                replayed := mesh_claim_token(p_account, p_token, p_operation, p_hash, p_at, p_token_cutoff);
                IF replayed IS NOT NULL THEN
                    RETURN QUERY SELECT replayed, NULL::text, NULL::uuid, NULL::bigint, NULL::text, NULL::timestamptz;
                    RETURN;
                END IF;
                SELECT r.id, r.arn, r.uid, r.version, r.resource_owner, r.created_at INTO target FROM resources AS r
                WHERE r.account_id = p_account AND r.mesh_name = p_mesh AND r.kind = p_kind AND r.parent_name = p_parent AND r.name = p_name
                FOR NO KEY UPDATE;
                found_row := FOUND;
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
                -- The row is locked, so its version cannot move.
                UPDATE resources SET spec = p_spec, refs = p_refs, version = target.version + 1, last_updated_at = p_at
                WHERE id = target.id;
                PERFORM set_config('{{ChangeFeed.NotifyAfterCommitSetting}}', 'on', true);
                INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
                VALUES (p_account, p_mesh, p_kind, p_parent, p_name, target.version + 1, 'update', p_at);
                IF p_token IS NOT NULL THEN
                    -- createdAt as the API writes it: epoch seconds with millisecond precision, no trailing zeros.
                    UPDATE idempotency_records
                    SET response = jsonb_set(p_answer, ARRAY[p_kind, 'metadata'], (p_answer -> p_kind -> 'metadata') || jsonb_build_object(
                        'arn', target.arn,
                        'createdAt', trim_scale(floor(extract(epoch FROM target.created_at) * 1000) / 1000),
                        'resourceOwner', target.resource_owner,
                        'uid', target.uid,
                        'version', target.version + 1))
                    WHERE account_id = p_account AND client_token = p_token;
                END IF;
                RETURN QUERY SELECT NULL::text, target.arn::text, target.uid, target.version + 1, target.resource_owner::text, target.created_at;
            END;
            $$;
            """;

        /// <summary>The clientToken claim as this migration makes it (migration AnswerWrittenWithClaim's down puts it back).</summary>
        public const string ClaimTokenFunction = """
            -- NULL when this call now holds the token (or sent none); else the stored answer of the identical
            -- request that holds it. A concurrent call with the same token waits here for the first to commit.
            CREATE FUNCTION mesh_claim_token(
                p_account text, p_token text, p_operation text, p_hash text, p_at timestamptz, p_cutoff timestamptz)
            RETURNS text
            LANGUAGE plpgsql VOLATILE AS $$
            DECLARE
                held record;
            BEGIN
                IF p_token IS NULL THEN
                    RETURN NULL;
                END IF;
                -- Claims the token, or takes over a record old enough to be pruned.
                INSERT INTO idempotency_records AS i (account_id, client_token, operation, request_hash, response, created_at)
                VALUES (p_account, p_token, p_operation, p_hash, jsonb_build_object(), p_at)
                ON CONFLICT (account_id, client_token) DO UPDATE
                    SET operation = EXCLUDED.operation, request_hash = EXCLUDED.request_hash,
                        response = EXCLUDED.response, created_at = EXCLUDED.created_at
                    WHERE i.created_at < p_cutoff;
                IF FOUND THEN
                    RETURN NULL;
                END IF;
                SELECT operation, request_hash, response::text INTO held FROM idempotency_records
                WHERE account_id = p_account AND client_token = p_token;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'clientToken changed hands' USING ERRCODE = 'MT002';
                END IF;
                IF held.operation <> p_operation OR held.request_hash <> p_hash THEN
                    RAISE EXCEPTION '%', held.operation USING ERRCODE = 'MT001';
                END IF;
                RETURN held.response;
            END;
            $$;
            """;

        /// <summary>The delete function as this migration makes it (migration DeleteReturnsTheRow's down puts it back).</summary>
        public const string DeleteFunction = $$"""
            -- A delete: the row as it was. p_need_* are the resource's mesh and parent, to name the first missing link
            -- when the resource is not there; p_child_kind the kind of its children (NULL if none); p_refs_key its
            -- key in mesh_refs (NULL for a mesh); p_named how many dependents a refusal lists.
            CREATE FUNCTION mesh_delete_resource(
                p_account text, p_mesh text, p_kind text, p_parent text, p_name text, p_at timestamptz,
                p_need_kinds text[], p_need_parents text[], p_need_names text[],
                p_child_kind text, p_refs_key text, p_named integer, p_scope_mesh text, p_shard smallint)
            RETURNS TABLE (o_id bigint, o_arn text, o_uid uuid, o_version bigint, o_spec text, o_tags text, o_refs text[],
                           o_resource_owner text, o_created_at timestamptz, o_last_updated_at timestamptz)
            LANGUAGE plpgsql VOLATILE AS $$
            DECLARE
                gone record;
                users jsonb;
            BEGIN
                -- Exclusive "depends on" lock first: every write that depends on the resource has committed, and is
                -- seen by the reads below, or waits for this delete.
                PERFORM pg_advisory_xact_lock(1296388936, hashtext(p_account || '/' || p_mesh || '/' || p_kind || '/' || p_parent || '/' || p_name));
                SELECT r.id, r.arn, r.uid, r.version, r.spec::text AS spec, r.tags::text AS tags, r.refs, r.resource_owner,
                       r.created_at, r.last_updated_at
                INTO gone FROM resources AS r
                WHERE r.account_id = p_account AND r.mesh_name = p_mesh AND r.kind = p_kind AND r.parent_name = p_parent AND r.name = p_name
                FOR UPDATE;
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

                DELETE FROM resources WHERE id = gone.id;
                PERFORM set_config('{{ChangeFeed.NotifyAfterCommitSetting}}', 'on', true);
                INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
                VALUES (p_account, p_mesh, p_kind, p_parent, p_name, gone.version, 'delete', p_at);
                PERFORM mesh_count_deleted(p_account, p_scope_mesh, p_kind, p_parent, p_shard);
                RETURN QUERY SELECT gone.id, gone.arn::text, gone.uid, gone.version, gone.spec, gone.tags, gone.refs,
                    gone.resource_owner::text, gone.created_at, gone.last_updated_at;
            END;
            $$;
            """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($$"""
                {{ClaimTokenFunction}}

                -- The position (1-based) of the first of the given resources of a mesh that does not exist, 0 when all do.
                -- One index probe per identity: LATERAL with LIMIT keeps the planner from flattening it into a walk of
                -- the mesh's rows (which it chose for meshes it had no statistics for yet). PL/pgSQL, not SQL, so that
                -- its plan is cached per connection instead of made on every call.
                CREATE FUNCTION mesh_first_missing(p_account text, p_mesh text, p_kinds text[], p_parents text[], p_names text[])
                RETURNS integer
                LANGUAGE plpgsql VOLATILE AS $$
                DECLARE
                    missing integer;
                BEGIN
                    SELECT coalesce(min(w.ord), 0)::integer INTO missing
                    FROM unnest(p_kinds, p_parents, p_names) WITH ORDINALITY AS w(k, p, n, ord)
                    LEFT JOIN LATERAL (
                        SELECT 1 AS present FROM resources AS r
                        WHERE r.account_id = p_account AND r.mesh_name = p_mesh AND r.kind = w.k AND r.parent_name = w.p AND r.name = w.n
                        LIMIT 1) AS found ON true
                    WHERE found.present IS NULL;
                    RETURN missing;
                END;
                $$;

                -- Locks each given resource against deletion until the transaction ends (the shared "depends on" lock),
                -- then, in a new statement (so after any delete it waited for), returns mesh_first_missing.
                CREATE FUNCTION mesh_lock_needed(p_account text, p_mesh text, p_kinds text[], p_parents text[], p_names text[])
                RETURNS integer
                LANGUAGE plpgsql VOLATILE AS $$
                BEGIN
                    PERFORM pg_advisory_xact_lock_shared(1296388936, hashtext(p_account || '/' || p_mesh || '/' || k || '/' || p || '/' || n))
                    FROM unnest(p_kinds, p_parents, p_names) AS t(k, p, n);
                    RETURN mesh_first_missing(p_account, p_mesh, p_kinds, p_parents, p_names);
                END;
                $$;

                -- A route on a router with several listeners must name one of them; a named port must be a listener's.
                CREATE FUNCTION mesh_check_route_port(p_account text, p_mesh text, p_router text, p_match_port integer)
                RETURNS void
                LANGUAGE plpgsql VOLATILE AS $$
                DECLARE
                    ports integer[];
                BEGIN
                    SELECT coalesce(array_agg((l.listener -> 'portMapping' ->> 'port')::integer ORDER BY l.ord), '{}') INTO ports
                    FROM resources AS r
                    CROSS JOIN LATERAL jsonb_array_elements(
                        CASE WHEN jsonb_typeof(r.spec -> 'listeners') = 'array' THEN r.spec -> 'listeners' ELSE '[]'::jsonb END)
                        WITH ORDINALITY AS l(listener, ord)
                    WHERE r.account_id = p_account AND r.mesh_name = p_mesh AND r.kind = 'virtualRouter' AND r.parent_name = ''
                      AND r.name = p_router AND jsonb_typeof(l.listener -> 'portMapping' -> 'port') = 'number';
                    IF (p_match_port IS NOT NULL AND cardinality(ports) > 0 AND NOT p_match_port = ANY (ports))
                       OR (p_match_port IS NULL AND cardinality(ports) > 1) THEN
                        RAISE EXCEPTION '%', array_to_string(ports, ', ') USING ERRCODE = 'MR002';
                    END IF;
                END;
                $$;

                {{CreateFunction}}

                {{UpdateFunction}}

                {{DeleteFunction}}
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP FUNCTION IF EXISTS mesh_delete_resource(text, text, text, text, text, timestamptz, text[], text[], text[], text, text, integer, text, smallint);
                DROP FUNCTION IF EXISTS mesh_update_resource(text, text, text, text, text, jsonb, text[], timestamptz, text[], text[], text[], integer, boolean, integer, text, text, text, timestamptz, jsonb);
                DROP FUNCTION IF EXISTS mesh_create_resource(text, text, text, text, text, text, uuid, jsonb, jsonb, text[], text, timestamptz, text[], text[], text[], boolean, integer, text, text, text, timestamptz, jsonb, text, smallint, integer, bigint, boolean);
                DROP FUNCTION IF EXISTS mesh_check_route_port(text, text, text, integer);
                DROP FUNCTION IF EXISTS mesh_lock_needed(text, text, text[], text[], text[]);
                DROP FUNCTION IF EXISTS mesh_first_missing(text, text, text[], text[], text[]);
                DROP FUNCTION IF EXISTS mesh_claim_token(text, text, text, text, timestamptz, timestamptz);
                """);
        }
    }
}
