using Mesh.Persistence;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// A write's clientToken record is written once, with its answer, instead of claimed with an empty answer and then
    /// updated with the answer before the commit (issue14af). The UPDATE wrote the whole record again: the answer's text
    /// (about 0.7 KB for a virtual node) in a second heap tuple, 0.7-0.8 KB of WAL per create and per update, a quarter of
    /// a create's WAL, and a statement. <c>mesh_claim_token</c> now takes the answer to store (<c>p_response</c>), the
    /// same text a claim that takes over a record old enough to be pruned writes.
    /// </summary>
    /// <remarks>
    /// <para>
    /// A create knows its answer before it claims (the API sends it). An update's answer needs what only the row knows
    /// (uid, version, createdAt: migration ReplayedAnswersVerbatim's placeholders), so the update now reads and locks its
    /// row first, then claims the token with the answer filled in. What a call answers is unchanged: a replay still
    /// answers the stored text (also when the resource is gone since), a token held by another request still fails, and
    /// a write that fails after its claim still rolls the record back with it. The one difference is that a replay of an
    /// update now waits for an uncommitted write of the same resource before it answers, as the original did.
    /// </para>
    /// <para>
    /// Signatures of the create and update functions are unchanged, so an API of the previous version runs on this
    /// schema and this one on the previous; <c>mesh_claim_token</c>'s changes (a seventh argument), and it is called
    /// only by these two functions.
    /// </para>
    /// </remarks>
    public partial class AnswerWrittenWithClaim : Migration
    {
        private const string Create = "mesh_create_resource(text, text, text, text, text, text, uuid, jsonb, jsonb, text[], text, timestamptz, text[], text[], text[], boolean, integer, text, text, text, timestamptz, text, text, smallint, integer, bigint, boolean)";
        private const string Update = "mesh_update_resource(text, text, text, text, text, jsonb, text[], timestamptz, text[], text[], text[], integer, boolean, integer, text, text, text, timestamptz, text, text[])";
        private const string OldClaim = "mesh_claim_token(text, text, text, text, timestamptz, timestamptz)";
        private const string NewClaim = "mesh_claim_token(text, text, text, text, timestamptz, timestamptz, text)";

        /// <summary>The create function as this migration makes it (migration FewerStatementsPerWrite's down puts it back).</summary>
        public const string CreateFunction = $$"""
            -- A create: NULL when the resource was written, else the stored answer of a replayed request. p_answer is the
            -- text of the answer the API sends, stored with the token as it is.
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
                replayed := mesh_claim_token(p_account, p_token, p_operation, p_hash, p_at, p_token_cutoff, p_answer);
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
                PERFORM mesh_count_created(p_account, p_scope_mesh, p_kind, p_parent, p_shard, p_shards, p_quota, p_exact);
                RETURN NULL;
            END;
            $$;
            """;

        /// <summary>The update function as this migration makes it (migration FewerStatementsPerWrite's down puts it back).</summary>
        public const string UpdateFunction = $$"""
            -- An update: the stored answer of a replayed request, or (o_replayed NULL) what the answer needs of the row.
            -- p_answer is the text of the API's answer with placeholders for what only the row knows: p_answer_holes
            -- are the placeholders' exact text ("uid":"…", "version":…, "createdAt":…, each with a random value the
            -- API drew for this call), replaced by the row's values written as the API writes them, so that the text
            -- stored with the token is byte for byte the answer the API sends. The row is read (and locked) before the
            -- token is claimed, so that the claim writes the record once, with its answer.
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
                answer text;
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
                replayed := mesh_claim_token(p_account, p_token, p_operation, p_hash, p_at, p_token_cutoff, answer);
                IF replayed IS NOT NULL THEN
                    RETURN QUERY SELECT replayed, NULL::text, NULL::uuid, NULL::bigint, NULL::text, NULL::timestamptz;
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
                UPDATE resources SET spec = p_spec, refs = p_refs, version = target.version + 1, last_updated_at = p_at
                WHERE id = target.id;
                PERFORM set_config('{{ChangeFeed.NotifyAfterCommitSetting}}', 'on', true);
                INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
                VALUES (p_account, p_mesh, p_kind, p_parent, p_name, target.version + 1, 'update', p_at);
                RETURN QUERY SELECT NULL::text, target.arn::text, target.uid, target.version + 1, target.resource_owner::text, target.created_at;
            END;
            $$;
            """;

        /// <summary>The claim as this migration makes it (migration IdempotencyRecordFacts's down puts it back).</summary>
        public const string ClaimFunction = """
            -- NULL when this call now holds the token (or sent none), its record written with p_response, the answer
            -- the write will send; else the stored answer of the identical request that holds it. A concurrent call
            -- with the same token waits here for the first to commit.
            CREATE FUNCTION mesh_claim_token(
                p_account text, p_token text, p_operation text, p_hash text, p_at timestamptz, p_cutoff timestamptz,
                p_response text)
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
                VALUES (p_account, p_token, p_operation, p_hash, p_response, p_at)
                ON CONFLICT (account_id, client_token) DO UPDATE
                    SET operation = EXCLUDED.operation, request_hash = EXCLUDED.request_hash,
                        response = EXCLUDED.response, created_at = EXCLUDED.created_at
                    WHERE i.created_at < p_cutoff;
                IF FOUND THEN
                    RETURN NULL;
                END IF;
                SELECT operation, request_hash, response INTO held FROM idempotency_records
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

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($$"""
                DROP FUNCTION {{OldClaim}};
                DROP FUNCTION {{Create}};
                DROP FUNCTION {{Update}};

                {{ClaimFunction}}

                {{CreateFunction}}

                {{UpdateFunction}}

                ALTER FUNCTION {{Create}} SET plan_cache_mode = force_generic_plan;
                ALTER FUNCTION {{Update}} SET plan_cache_mode = force_generic_plan;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($$"""
                DROP FUNCTION {{NewClaim}};
                DROP FUNCTION {{Create}};
                DROP FUNCTION {{Update}};

                {{WriteFunctions.ClaimTokenFunction}}

                {{ReplayedAnswersVerbatim.CreateFunction}}

                {{ReplayedAnswersVerbatim.UpdateFunction}}

                ALTER FUNCTION {{Create}} SET plan_cache_mode = force_generic_plan;
                ALTER FUNCTION {{Update}} SET plan_cache_mode = force_generic_plan;
                """);
        }
    }
}
