using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// A write takes its quota shard with a transaction-level advisory lock per (scope, shard) instead of the shard row's
    /// lock, so that the first creates of a new scope no longer wait for each other while its shard rows appear
    /// (issue14x). Before, a create locked a shard row with <c>FOR UPDATE SKIP LOCKED</c>; a row another create was still
    /// inserting is invisible to this one's snapshot, so it looked missing, and inserting it waited for that create's
    /// commit (14n counted 92-192 such waits of 8-18 ms in the first seconds of each run). A try-lock on an advisory lock
    /// sees every holder, committed row or not: the walk (from the picked shard up, then from 0, as before) takes the
    /// first shard whose lock is free with <c>pg_try_advisory_xact_lock</c>, and only then updates that shard's row, or
    /// inserts it when missing; no other write can be changing that row, as every write of a shard row holds its lock.
    /// When every shard's lock is held, the write waits for the picked one, as it waited for the picked row before.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The bound is the same argument with the advisory lock in the row lock's place: every create holds one shard's lock
    /// from before it reads the total until after its commit is visible (transaction-level locks are released after the
    /// commit is, as row locks are), a scope has <c>Shards</c> locks, and the total is read in a statement of its own,
    /// with a snapshot taken after the lock is held. So at most <c>Shards - 1</c> uncommitted creates are missing from any
    /// total (see QuotaCounter in the API). The exact count takes all of the scope's locks in shard order (waiting), then
    /// makes the missing rows; a write in the optimistic path waits for nothing once it holds its lock, so the ordered
    /// waits cannot deadlock with it.
    /// </para>
    /// <para>
    /// The lock's key is a single <c>bigint</c>, <c>hashtext(scope) * 256 + shard</c>: the one-key form is a key space of
    /// its own in PostgreSQL, apart from the two-key form of the resources' locks (<c>ResourceLocks</c>). Two scopes whose
    /// hashes collide share their shards' locks, which only spreads their writes over fewer shards; each scope's bound
    /// holds as before, since every uncommitted create of it still holds a lock no other create holds. Shards beyond 256
    /// would overlap the next hash's keys: the API uses 32.
    /// </para>
    /// <para>
    /// Rows appear as shards are taken, as before, and a scope still has at most <c>Shards</c> rows; signatures are
    /// unchanged, so an API of the previous version runs on this schema, and this one on the previous.
    /// </para>
    /// </remarks>
    public partial class QuotaShardAdvisoryLocks : Migration
    {
        /// <summary>The quota count as this migration makes it (migration FewerStatementsPerWrite's down puts it back).</summary>
        public const string CountCreatedFunction = """
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
                    -- snapshot, taken after the lock, sees the row if it was ever committed.
                    taken := mesh_quota_take_shard(scope_key, picked_shard, shards);
                    UPDATE resource_counts SET count = count + 1
                    WHERE account_id = scope_account AND mesh_name = scope_mesh AND kind = scope_kind AND parent_name = scope_parent
                      AND shard = taken;
                    IF NOT FOUND THEN
                        INSERT INTO resource_counts AS c (account_id, mesh_name, kind, parent_name, shard, count)
                        VALUES (scope_account, scope_mesh, scope_kind, scope_parent, taken, 1)
                        ON CONFLICT (account_id, mesh_name, kind, parent_name, shard) DO UPDATE SET count = c.count + 1;
                    END IF;
                    SELECT coalesce(sum(count), 0) INTO total FROM resource_counts
                    WHERE account_id = scope_account AND mesh_name = scope_mesh AND kind = scope_kind AND parent_name = scope_parent;
                    IF total + shards - 1 <= quota THEN
                        RETURN total;
                    END IF;
                    RAISE EXCEPTION 'within % of the quota of %: count exactly', shards, quota USING ERRCODE = 'MQ001';
                END IF;

                -- Every shard's lock, in shard order, so that no uncommitted count remains; then every row made.
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
            """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($$"""
                CREATE OR REPLACE FUNCTION mesh_quota_shard_key(
                    scope_account text, scope_mesh text, scope_kind text, scope_parent text)
                RETURNS bigint
                LANGUAGE sql IMMUTABLE AS $$
                    SELECT hashtext(scope_account || '/' || scope_mesh || '/' || scope_kind || '/' || scope_parent)::bigint * 256
                $$;

                -- The shard a write counts in: the first from the picked one up, then from 0, whose advisory lock no other
                -- write holds (taken, without waiting); when every one is held, the picked one, waiting for it.
                CREATE OR REPLACE FUNCTION mesh_quota_take_shard(scope_key bigint, picked_shard smallint, shards integer)
                RETURNS smallint
                LANGUAGE plpgsql VOLATILE AS $$
                DECLARE
                    candidate integer;
                BEGIN
                    FOR step IN 0 .. shards - 1 LOOP
                        candidate := (picked_shard + step) % shards;
                        IF pg_try_advisory_xact_lock(scope_key + candidate) THEN
                            RETURN candidate;
                        END IF;
                    END LOOP;
                    PERFORM pg_advisory_xact_lock(scope_key + picked_shard);
                    RETURN picked_shard;
                END;
                $$;

                {{CountCreatedFunction}}

                CREATE OR REPLACE FUNCTION mesh_count_deleted(
                    scope_account text, scope_mesh text, scope_kind text, scope_parent text, picked_shard smallint)
                RETURNS void
                LANGUAGE plpgsql VOLATILE AS $$
                DECLARE
                    -- Its signature carries no shard count: the API's (QuotaCounter.Shards). Any shard would do for a
                    -- delete, which only makes totals smaller; the bound is about the creates' shards.
                    taken smallint := mesh_quota_take_shard(
                        mesh_quota_shard_key(scope_account, scope_mesh, scope_kind, scope_parent), picked_shard, 32);
                BEGIN
                    UPDATE resource_counts SET count = count - 1
                    WHERE account_id = scope_account AND mesh_name = scope_mesh AND kind = scope_kind AND parent_name = scope_parent
                      AND shard = taken;
                    IF NOT FOUND THEN
                        INSERT INTO resource_counts AS c (account_id, mesh_name, kind, parent_name, shard, count)
                        VALUES (scope_account, scope_mesh, scope_kind, scope_parent, taken, -1)
                        ON CONFLICT (account_id, mesh_name, kind, parent_name, shard) DO UPDATE SET count = c.count - 1;
                    END IF;
                END;
                $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(QuotaShardWalkFromPick.Functions);
            migrationBuilder.Sql("""
                DROP FUNCTION mesh_quota_take_shard(bigint, smallint, integer);
                DROP FUNCTION mesh_quota_shard_key(text, text, text, text);
                """);
        }
    }
}
