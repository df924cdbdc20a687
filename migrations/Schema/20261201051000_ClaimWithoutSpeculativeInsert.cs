using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// A clientToken's record is written with a plain INSERT instead of <c>INSERT … ON CONFLICT</c> (issue14ap). An
    /// <c>ON CONFLICT</c> insert is speculative: PostgreSQL writes the row, checks the unique index, and then writes the
    /// row again to confirm it (a second WAL record on the same row, 48 B, and a speculative-insertion lock taken and
    /// released), for every create and update with a token, to handle a conflict that only a concurrent call with the
    /// same token, or a token reused after a day, can cause. Now the INSERT inserts only when no record holds the token
    /// (<c>WHERE NOT EXISTS</c>, the same index probe), and an old record is taken over by an UPDATE in its own statement.
    /// </summary>
    /// <remarks>
    /// <para>
    /// A concurrent call with the same token that has not committed yet is not seen by <c>NOT EXISTS</c>: the INSERT
    /// then waits on the unique index for that call's end, as the <c>ON CONFLICT</c> insert did, and when it committed,
    /// fails with a unique violation of <c>PK_idempotency_records</c> instead of finding the record. The whole write
    /// rolls back (nothing else was written before the claim), and the API runs it again (<c>DatabaseFailures.IsConflict</c>,
    /// as for a deadlock): the second attempt finds the committed record and answers as a replay, or refuses a different
    /// request naming the first (MT001), which is what the waiting claim answered before. If the other call rolled
    /// back, the INSERT goes ahead, as before. A record removed by the pruner between the probe and the read is
    /// <c>MT002</c>, as before.
    /// </para>
    /// <para>The signature is unchanged: an API of the previous version runs on this schema (its rare concurrent same-token
    /// claim is then answered 500 instead of a replay: upgrade the API with the migrations, as run.sh and the deploy
    /// manifests do).</para>
    /// </remarks>
    public partial class ClaimWithoutSpeculativeInsert : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                -- As migration IdempotencyRecordFacts made it (the same answers), the record written by a plain INSERT.
                CREATE OR REPLACE FUNCTION mesh_claim_token(
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
                    -- Claims the token when no record holds it: a plain INSERT, not a speculative one (no confirmation record).
                    -- A concurrent call's claim not yet committed is not seen here: the INSERT waits for it on the unique
                    -- index and, once it committed, fails (unique violation), and the API runs this write again.
                    INSERT INTO idempotency_records (account_id, client_token, operation, request_hash, created_at, uid, version, resource_created_at)
                    SELECT p_account, p_token, p_operation, p_hash, p_at, p_uid, p_version, p_resource_created_at
                    WHERE NOT EXISTS (SELECT 1 FROM idempotency_records AS i WHERE i.account_id = p_account AND i.client_token = p_token);
                    IF FOUND THEN
                        RETURN;
                    END IF;
                    -- Takes over a record old enough to be pruned.
                    UPDATE idempotency_records AS i
                    SET operation = p_operation, request_hash = p_hash, response = NULL, created_at = p_at, uid = p_uid, version = p_version,
                        resource_created_at = p_resource_created_at
                    WHERE i.account_id = p_account AND i.client_token = p_token AND i.created_at < p_cutoff;
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
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(IdempotencyRecordFacts.ClaimFunction.Replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", StringComparison.Ordinal));
        }
    }
}
