-- Variant D of rows/ (docs/benchmarks.md, issue14bm): a copy of mesh_create_resource as of migration DescribedWriteRefusals, changed as that section says. For measurement only, not a migration.
CREATE OR REPLACE FUNCTION public.mesh_create_resource_nolog(p_account text, p_mesh text, p_kind text, p_parent text, p_name text, p_arn text, p_uid uuid, p_spec jsonb, p_tags jsonb, p_refs text[], p_owner text, p_at timestamp with time zone, p_need_kinds text[], p_need_parents text[], p_need_names text[], p_check_route_port boolean, p_match_port integer, p_token text, p_operation text, p_hash text, p_token_cutoff timestamp with time zone, p_scope_mesh text, p_shard smallint, p_shards integer, p_quota bigint, p_exact boolean)
 RETURNS TABLE(o_replayed text, o_uid uuid, o_at timestamp with time zone)
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
DECLARE
    held record;
    missing integer;
    total bigint;
    quiet text;
BEGIN
    -- A create's record: its uid and version 1; its creation time is the record's own.
    held := mesh_claim_token(p_account, p_token, p_operation, p_hash, p_at, p_token_cutoff, p_uid, 1, NULL);
    IF held.o_at IS NOT NULL THEN
        o_replayed := held.o_response;
        o_uid := held.o_uid;
        o_at := held.o_at;
        RETURN NEXT;
        RETURN;
    END IF;
    -- The shared "depends on" lock of each resource the create needs; the probe below is a later statement, so its
    -- snapshot sees any delete this waited for.
    PERFORM pg_advisory_xact_lock_shared(1296388936, hashtext(p_account || '/' || p_mesh || '/' || k || '/' || p || '/' || n))
    FROM unnest(p_need_kinds, p_need_parents, p_need_names) AS t(k, p, n);
    IF p_check_route_port THEN
        -- A route's port is checked after its missing links and before its name: the probe first, as before.
        missing := mesh_first_missing(p_account, p_mesh, p_need_kinds, p_need_parents, p_need_names);
        IF missing > 0 THEN
            RAISE EXCEPTION 'mesh write refused (answered NotFoundException by the API), needed resource missing at position (0 = the resource itself): %', missing USING ERRCODE = 'MR001';
        END IF;
        PERFORM mesh_check_route_port(p_account, p_mesh, p_parent, p_match_port);
    END IF;
    -- Makes the changes trigger leave out its NOTIFY (an assignment: an expression, not a statement).
    quiet := set_config('mesh.notify_after_commit', 'on', true);
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
        RETURNING 1)
    SELECT need.missing INTO missing FROM need;
    IF missing > 0 THEN
        RAISE EXCEPTION 'mesh write refused (answered NotFoundException by the API), needed resource missing at position (0 = the resource itself): %', missing USING ERRCODE = 'MR001';
    END IF;

    -- Last, so that the quota's shard is held only for the commit (QuotaCounter); an assignment, not a statement.
    total := mesh_count_created(p_account, p_scope_mesh, p_kind, p_parent, p_shard, p_shards, p_quota, p_exact);
    RETURN NEXT;
END;
$function$

;
