using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// <c>mesh_count_created</c>: a create counts itself in its quota scope with one statement, sent by the API
    /// last before its COMMIT, so the shard row it locks is held only for the commit (before, the increment
    /// travelled in the write's first round trip and its lock was held across the API's turn, which made the
    /// creates of one mesh queue for shards). It increments a shard row no other write holds (FOR UPDATE SKIP
    /// LOCKED), or when every existing one is held, the given shard (created if need be, waiting for its holder),
    /// and reads the scope's total in a new
    /// statement (a VOLATILE function's statements each take a new snapshot under READ COMMITTED). When the
    /// total plus every other shard's possible uncommitted create may exceed the quota, it fails with MQ001 and
    /// the API runs the create again with <c>exact</c>, which locks every shard of the scope in order and counts
    /// exactly, failing with MQ002 when the create would exceed the quota. <c>mesh_count_deleted</c> decrements a
    /// shard the same way. See QuotaCounter in the API.
    /// </summary>
    public partial class QuotaCountAtCommit : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(Functions);
        }

        /// <summary>The functions as this migration made them; <c>QuotaShardWalkFromPick</c>'s down puts them back.</summary>
        internal const string Functions = """
                CREATE OR REPLACE FUNCTION mesh_count_created(
                    scope_account text, scope_mesh text, scope_kind text, scope_parent text,
                    picked_shard smallint, shards integer, quota bigint, exact boolean)
                RETURNS bigint
                LANGUAGE plpgsql VOLATILE AS $$
                DECLARE
                    total bigint;
                BEGIN
                    IF NOT exact THEN
                        -- A shard no other write holds, if one exists; else the picked one (created if need be), waiting.
                        UPDATE resource_counts SET count = count + 1
                        WHERE account_id = scope_account AND mesh_name = scope_mesh AND kind = scope_kind AND parent_name = scope_parent
                          AND shard = (SELECT f.shard FROM resource_counts AS f
                                       WHERE f.account_id = scope_account AND f.mesh_name = scope_mesh AND f.kind = scope_kind AND f.parent_name = scope_parent
                                       LIMIT 1 FOR UPDATE SKIP LOCKED);
                        IF NOT FOUND THEN
                            INSERT INTO resource_counts AS c (account_id, mesh_name, kind, parent_name, shard, count)
                            VALUES (scope_account, scope_mesh, scope_kind, scope_parent, picked_shard, 1)
                            ON CONFLICT (account_id, mesh_name, kind, parent_name, shard) DO UPDATE SET count = c.count + 1;
                        END IF;
                        SELECT coalesce(sum(count), 0) INTO total FROM resource_counts
                        WHERE account_id = scope_account AND mesh_name = scope_mesh AND kind = scope_kind AND parent_name = scope_parent;
                        IF total + shards - 1 <= quota THEN
                            RETURN total;
                        END IF;
                        RAISE EXCEPTION 'within % of the quota of %: count exactly', shards, quota USING ERRCODE = 'MQ001';
                    END IF;

                    INSERT INTO resource_counts (account_id, mesh_name, kind, parent_name, shard, count)
                    SELECT scope_account, scope_mesh, scope_kind, scope_parent, s, 0 FROM generate_series(0, shards - 1) AS s
                    ON CONFLICT DO NOTHING;
                    PERFORM 1 FROM resource_counts
                    WHERE account_id = scope_account AND mesh_name = scope_mesh AND kind = scope_kind AND parent_name = scope_parent
                    ORDER BY shard FOR UPDATE;
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

                CREATE OR REPLACE FUNCTION mesh_count_deleted(
                    scope_account text, scope_mesh text, scope_kind text, scope_parent text, picked_shard smallint)
                RETURNS void
                LANGUAGE plpgsql VOLATILE AS $$
                BEGIN
                    UPDATE resource_counts SET count = count - 1
                    WHERE account_id = scope_account AND mesh_name = scope_mesh AND kind = scope_kind AND parent_name = scope_parent
                      AND shard = (SELECT f.shard FROM resource_counts AS f
                                   WHERE f.account_id = scope_account AND f.mesh_name = scope_mesh AND f.kind = scope_kind AND f.parent_name = scope_parent
                                   LIMIT 1 FOR UPDATE SKIP LOCKED);
                    IF NOT FOUND THEN
                        INSERT INTO resource_counts AS c (account_id, mesh_name, kind, parent_name, shard, count)
                        VALUES (scope_account, scope_mesh, scope_kind, scope_parent, picked_shard, -1)
                        ON CONFLICT (account_id, mesh_name, kind, parent_name, shard) DO UPDATE SET count = c.count - 1;
                    END IF;
                END;
                $$;
                """;

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP FUNCTION IF EXISTS mesh_count_created(text, text, text, text, smallint, integer, bigint, boolean);
                DROP FUNCTION IF EXISTS mesh_count_deleted(text, text, text, text, smallint);
                """);
        }
    }
}
