using Mesh.Persistence;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// A replay of a write (the same clientToken and request) answers exactly the bytes of the first answer (issue14p).
    /// The answer was stored as <c>jsonb</c>, which keeps members in its own order (shorter keys first), so a replayed
    /// create answered the same members in another order than the first answer. Now <c>idempotency_records.response</c>
    /// is <c>text</c>, and the write functions take the answer as text: a create stores the API's answer as it is; an
    /// update fills the placeholders of what only the row knows (uid, version, createdAt) into the text by replacing
    /// their exact text (<c>p_answer_holes</c>), writing each value as the API writes it. Old records become their
    /// <c>jsonb</c> text, still valid JSON, and are answered as such until they are pruned (a day). The functions
    /// keep <c>plan_cache_mode = force_generic_plan</c> (migration WriteFunctionsGenericPlans).
    /// </summary>
    public partial class ReplayedAnswersVerbatim : Migration
    {
        private const string OldCreate = "mesh_create_resource(text, text, text, text, text, text, uuid, jsonb, jsonb, text[], text, timestamptz, text[], text[], text[], boolean, integer, text, text, text, timestamptz, jsonb, text, smallint, integer, bigint, boolean)";
        private const string OldUpdate = "mesh_update_resource(text, text, text, text, text, jsonb, text[], timestamptz, text[], text[], text[], integer, boolean, integer, text, text, text, timestamptz, jsonb)";
        private const string NewCreate = "mesh_create_resource(text, text, text, text, text, text, uuid, jsonb, jsonb, text[], text, timestamptz, text[], text[], text[], boolean, integer, text, text, text, timestamptz, text, text, smallint, integer, bigint, boolean)";
        private const string NewUpdate = "mesh_update_resource(text, text, text, text, text, jsonb, text[], timestamptz, text[], text[], text[], integer, boolean, integer, text, text, text, timestamptz, text, text[])";

        /// <summary>The create function as this migration makes it (migration AnswerWrittenWithClaim's down puts it back).</summary>
        public const string CreateFunction = $$"""
            -- A create: NULL when the resource was written, else the stored answer of a replayed request. p_answer is the
            -- text of the answer the API sends, stored as it is.
            CREATE FUNCTION mesh_create_resource(
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

        /// <summary>The update function as this migration makes it (migration AnswerWrittenWithClaim's down puts it back).</summary>
        public const string UpdateFunction = $$"""
            -- An update: the stored answer of a replayed request, or (o_replayed NULL) what the answer needs of the row.
            -- p_answer is the text of the API's answer with placeholders for what only the row knows: p_answer_holes
            -- are the placeholders' exact text ("uid":"…", "version":…, "createdAt":…, each with a random value the
            -- API drew for this call), replaced here by the row's values written as the API writes them, so that the
            -- text stored with the token is byte for byte the answer the API sends.
            CREATE FUNCTION mesh_update_resource(
                p_account text, p_mesh text, p_kind text, p_parent text, p_name text, p_spec jsonb, p_refs text[], p_at timestamptz,
                p_need_kinds text[], p_need_parents text[], p_need_names text[], p_containers integer,
                p_check_route_port boolean, p_match_port integer,
                p_token text, p_operation text, p_hash text, p_token_cutoff timestamptz, p_answer text, p_answer_holes text[])
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
                    -- Written as the API writes them: a uuid in lower case, createdAt as epoch seconds with
                    -- millisecond precision and no trailing zeros.
                    UPDATE idempotency_records
                    SET response = replace(replace(replace(p_answer,
                        p_answer_holes[1], '"uid":"' || target.uid::text || '"'),
                        p_answer_holes[2], '"version":' || (target.version + 1)::text),
                        p_answer_holes[3], '"createdAt":' || trim_scale(floor(extract(epoch FROM target.created_at) * 1000) / 1000)::text)
                    WHERE account_id = p_account AND client_token = p_token;
                END IF;
                RETURN QUERY SELECT NULL::text, target.arn::text, target.uid, target.version + 1, target.resource_owner::text, target.created_at;
            END;
            $$;
            """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($$"""
                ALTER TABLE idempotency_records ALTER COLUMN response TYPE text USING response::text;
                DROP FUNCTION {{OldCreate}};
                DROP FUNCTION {{OldUpdate}};

                {{CreateFunction}}

                {{UpdateFunction}}

                ALTER FUNCTION {{NewCreate}} SET plan_cache_mode = force_generic_plan;
                ALTER FUNCTION {{NewUpdate}} SET plan_cache_mode = force_generic_plan;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($$"""
                DROP FUNCTION {{NewCreate}};
                DROP FUNCTION {{NewUpdate}};
                ALTER TABLE idempotency_records ALTER COLUMN response TYPE jsonb USING response::jsonb;

                {{WriteFunctions.CreateFunction}}

                {{WriteFunctions.UpdateFunction}}

                ALTER FUNCTION {{OldCreate}} SET plan_cache_mode = force_generic_plan;
                ALTER FUNCTION {{OldUpdate}} SET plan_cache_mode = force_generic_plan;
                """);
        }
    }
}
