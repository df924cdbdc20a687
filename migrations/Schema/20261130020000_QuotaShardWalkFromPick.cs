using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// <c>mesh_count_created</c> and <c>mesh_count_deleted</c> (migration <c>QuotaCountAtCommit</c>) look for a shard no
    /// other write holds starting at the shard the API picked at random, instead of at the first row of the scope
    /// (issue14n). Before, every count of a scope tried the scope's shard rows in the same order, so at 32 concurrent
    /// creates in one mesh each create tried (and skipped) every shard held by the writes ahead of it, most of them
    /// queued on their commit's WAL flush: a tuple-lock attempt per held row. Started at a random shard, the walk
    /// usually locks the first row it tries (the count's shard UPDATE at 32 clients: 0.24 → 0.09 ms per call).
    /// Which shard a write counts in does not matter to the count or to the bound: every write still holds one shard
    /// row of its scope until it commits, and a scope has at most <c>Shards</c> of them, so at most <c>Shards - 1</c>
    /// uncommitted creates can be missing from a create's total (see QuotaCounter in the API). The walk is two index
    /// range scans, from the picked shard up and then below it, in a <c>coalesce</c> so that the second runs only when
    /// the first finds nothing (PostgreSQL allows no FOR UPDATE under UNION). Nothing else changes: the fallback when
    /// every shard is held, the total in a statement of its own (its snapshot must be taken after the shard is
    /// locked), the exact count.
    /// </summary>
    public partial class QuotaShardWalkFromPick : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(Functions);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(QuotaCountAtCommit.Functions);
        }

        /// <summary>This migration's two functions, which <c>QuotaShardAdvisoryLocks</c>' down puts back.</summary>
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
                        -- A shard no other write holds, looked for from the picked one up and then from 0; if every one is
                        -- held, the picked one (created if need be), waiting.
                        UPDATE resource_counts SET count = count + 1
                        WHERE account_id = scope_account AND mesh_name = scope_mesh AND kind = scope_kind AND parent_name = scope_parent
                          AND shard = coalesce(
                              (SELECT f.shard FROM resource_counts AS f
                               WHERE f.account_id = scope_account AND f.mesh_name = scope_mesh AND f.kind = scope_kind AND f.parent_name = scope_parent
                                 AND f.shard >= picked_shard
                               ORDER BY f.shard LIMIT 1 FOR UPDATE SKIP LOCKED),
                              (SELECT f.shard FROM resource_counts AS f
                               WHERE f.account_id = scope_account AND f.mesh_name = scope_mesh AND f.kind = scope_kind AND f.parent_name = scope_parent
                                 AND f.shard < picked_shard
                               ORDER BY f.shard LIMIT 1 FOR UPDATE SKIP LOCKED));
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
                      AND shard = coalesce(
                          (SELECT f.shard FROM resource_counts AS f
                           WHERE f.account_id = scope_account AND f.mesh_name = scope_mesh AND f.kind = scope_kind AND f.parent_name = scope_parent
                             AND f.shard >= picked_shard
                           ORDER BY f.shard LIMIT 1 FOR UPDATE SKIP LOCKED),
                          (SELECT f.shard FROM resource_counts AS f
                           WHERE f.account_id = scope_account AND f.mesh_name = scope_mesh AND f.kind = scope_kind AND f.parent_name = scope_parent
                             AND f.shard < picked_shard
                           ORDER BY f.shard LIMIT 1 FOR UPDATE SKIP LOCKED));
                    IF NOT FOUND THEN
                        INSERT INTO resource_counts AS c (account_id, mesh_name, kind, parent_name, shard, count)
                        VALUES (scope_account, scope_mesh, scope_kind, scope_parent, picked_shard, -1)
                        ON CONFLICT (account_id, mesh_name, kind, parent_name, shard) DO UPDATE SET count = c.count - 1;
                    END IF;
                END;
                $$;
            """;
    }
}
