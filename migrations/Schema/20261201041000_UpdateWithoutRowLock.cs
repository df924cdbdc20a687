using Mesh.Persistence;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// An update reads its row without locking it (issue14al). The lock (<c>SELECT … FOR NO KEY UPDATE</c>) wrote a
    /// <c>Heap/LOCK</c> WAL record before the claim, 1.3 records and 74-135 B per update, and made a second update of the
    /// row wait from its first statement. Now the row is read as it is, the token claimed with its values, and the
    /// UPDATE names the version it read (<c>WHERE id = … AND version = …</c>).
    /// </summary>
    /// <remarks>
    /// <para>
    /// When a concurrent update or delete committed between the read and the UPDATE, the UPDATE finds no row of that
    /// version (under READ COMMITTED it waits for an uncommitted writer of the row, then re-checks its condition on the
    /// row's newest version). The function then does what every update did before: reads the row locked, which waits
    /// for any writer still holding it, corrects the token's record to that row's values, and updates it. So same-row
    /// updates still queue on the row's lock and all succeed, each with its own version, and the record still holds
    /// the values of the row this update wrote; only the update that raced pays for the lock, and for a second write
    /// of its record. A row deleted meanwhile is not found, as a locked read would not have found it.
    /// </para>
    /// <para>The signature is unchanged: an API of migration IdempotencyRecordFacts runs on either schema.</para>
    /// </remarks>
    public partial class UpdateWithoutRowLock : Migration
    {
        private const string Update = "mesh_update_resource(text, text, text, text, text, jsonb, text[], timestamptz, text[], text[], text[], integer, boolean, integer, text, text, text, timestamptz)";

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($$"""
                -- An update: the row's values for the answer, or (o_replayed_at not NULL) the replayed request's record: the
                -- uid, version and creation time its answer showed, and the write's time (o_replayed: the stored answer of a
                -- record written before migration IdempotencyRecordFacts). The row is read, not locked, before the token is
                -- claimed with its values; the UPDATE names the version read, and a lost race locks the row and writes on it.
                CREATE OR REPLACE FUNCTION mesh_update_resource(
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
                    WHERE r.account_id = p_account AND r.mesh_name = p_mesh AND r.kind = p_kind AND r.parent_name = p_parent AND r.name = p_name;
                    found_row := FOUND;
                    -- No row: the record is claimed without values, and the write fails below unless this is a replay (a failed
                    -- write's claim is rolled back with it).
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
                    -- The UPDATE and its change in one statement, only if the row is still the version read.
                    WITH updated AS (
                        UPDATE resources SET spec = p_spec, refs = p_refs, version = target.version + 1, last_updated_at = p_at
                        WHERE id = target.id AND version = target.version
                        RETURNING 1)
                    INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
                    SELECT p_account, p_mesh, p_kind, p_parent, p_name, target.version + 1, 'update', p_at FROM updated;
                    IF NOT FOUND THEN
                        -- A concurrent write of the row committed since the read: lock the row as it is now (waiting for any
                        -- writer still holding it), put its values in the token's record, and write on it.
                        SELECT r.id, r.arn, r.uid, r.version, r.resource_owner, r.created_at INTO target FROM resources AS r
                        WHERE r.account_id = p_account AND r.mesh_name = p_mesh AND r.kind = p_kind AND r.parent_name = p_parent AND r.name = p_name
                        FOR NO KEY UPDATE;
                        IF NOT FOUND THEN
                            RAISE EXCEPTION '0' USING ERRCODE = 'MR001';
                        END IF;
                        IF p_token IS NOT NULL THEN
                            UPDATE idempotency_records SET uid = target.uid, version = target.version + 1, resource_created_at = target.created_at
                            WHERE account_id = p_account AND client_token = p_token;
                        END IF;
                        WITH updated AS (
                            UPDATE resources SET spec = p_spec, refs = p_refs, version = target.version + 1, last_updated_at = p_at
                            WHERE id = target.id
                            RETURNING 1)
                        INSERT INTO changes (account_id, mesh_name, kind, parent_name, name, version, operation, at)
                        SELECT p_account, p_mesh, p_kind, p_parent, p_name, target.version + 1, 'update', p_at FROM updated;
                    END IF;
                    o_arn := target.arn;
                    o_uid := target.uid;
                    o_version := target.version + 1;
                    o_resource_owner := target.resource_owner;
                    o_created_at := target.created_at;
                    RETURN NEXT;
                END;
                $$;

                ALTER FUNCTION {{Update}} SET plan_cache_mode = force_generic_plan;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($$"""
                DROP FUNCTION {{Update}};

                {{IdempotencyRecordFacts.UpdateFunction}}

                ALTER FUNCTION {{Update}} SET plan_cache_mode = force_generic_plan;
                """);
        }
    }
}
