using Mesh.Persistence;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// A delete deletes its row first (<c>DELETE … RETURNING</c> the row as it was), then makes the checks that may refuse
    /// it, instead of locking the row with <c>SELECT … FOR UPDATE</c>, checking, then deleting it (issue14af). The lock
    /// wrote a WAL record of its own (the row's lock) before the DELETE wrote another; the DELETE takes the same row lock.
    /// 45-77 B less WAL and one statement fewer per delete.
    /// </summary>
    /// <remarks>
    /// The checks read other rows only (the mesh's contents, the resource's children, its users through
    /// <c>ix_resources_mesh_refs</c>): no kind can contain or name a resource of its own kind, so no check could have
    /// counted the deleted row itself, and a refusal raises, rolling the delete back with the transaction, as before.
    /// The exclusive "depends on" advisory lock is still taken first. The signature is unchanged.
    /// </remarks>
    public partial class DeleteReturnsTheRow : Migration
    {
        /// <summary>The delete function as this migration makes it (migration FewerStatementsPerWrite's down puts it back).</summary>
        public const string DeleteFunction = $$"""
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
            BEGIN
                -- Exclusive "depends on" lock first: every write that depends on the resource has committed, and is
                -- seen by the reads below, or waits for this delete.
                PERFORM pg_advisory_xact_lock(1296388936, hashtext(p_account || '/' || p_mesh || '/' || p_kind || '/' || p_parent || '/' || p_name));
                -- Deleted first, returning the row as it was: the DELETE takes the row lock FOR UPDATE took, without a
                -- WAL record of its own. A refusal below raises, and the delete is rolled back with the transaction.
                DELETE FROM resources AS r
                WHERE r.account_id = p_account AND r.mesh_name = p_mesh AND r.kind = p_kind AND r.parent_name = p_parent AND r.name = p_name
                RETURNING r.id, r.arn, r.uid, r.version, r.spec::text AS spec, r.tags::text AS tags, r.refs, r.resource_owner,
                          r.created_at, r.last_updated_at
                INTO gone;
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
                {{DeleteFunction}}
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($$"""
                DROP FUNCTION mesh_delete_resource(text, text, text, text, text, timestamptz, text[], text[], text[], text, text, integer, text, smallint);

                {{WriteFunctions.DeleteFunction}}
                """);
        }
    }
}
